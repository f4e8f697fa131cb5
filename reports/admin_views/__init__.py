"""The marketer's admin pages that are more than a model form: charts, dashboard, timeline, imports.

Thin views: they parse a form, call selectors (reads) or services (writes) and render. They are
wired into the admin by `urls.site_urls` (site-wide pages) and by `ingest/admin.py` (per model).
"""
