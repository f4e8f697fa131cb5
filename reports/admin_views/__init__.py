"""The marketer's admin pages that are more than a model form: dashboard, charts, timeline.

Thin views: they parse a form, call selectors (reads) and render. They are wired into the admin
by `backoffice/admin_urls.py` (site-wide pages) and by `reports/admin.py` (per model).
"""
