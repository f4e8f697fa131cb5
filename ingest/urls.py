from __future__ import annotations

from django.urls import re_path

from ingest import docs_views, views

app_name = "ingest"

# Ids are matched loosely so a bad id gets the intake's JSON answer, not an HTML 404.
urlpatterns = [
    re_path(
        r"^source/(?P<source_id>[^/]+)/campaign/(?P<campaign_id>[^/]+)(?:/contact)?/?$",
        views.contact_dispatch,
        name="contact",
    ),
    re_path(
        r"^source/(?P<source_id>[^/]+)/campaign/(?P<campaign_id>[^/]+)/contacts/?$",
        views.contacts_batch,
        name="contacts-batch",
    ),
    # Partner documentation (GET on the intake's own URL is served by contact_dispatch).
    re_path(r"^source/(?P<source_id>[^/]+)/?$", docs_views.docs_source, name="docs-source"),
    re_path(
        r"^source/(?P<source_id>[^/]+)/openapi\.json$",
        docs_views.docs_openapi,
        name="docs-openapi",
    ),
    re_path(r"^source/(?P<source_id>[^/]+)/docs-login$", docs_views.docs_login, name="docs-login"),
]
