"""The docs pages' routes under /source/<sid> (mounted by contactsource/urls.py, beside the
intake's; GET on a campaign's intake URL is routed to `views.docs_campaign` there)."""

from __future__ import annotations

from django.urls import re_path

from partnerdocs import views
from partnerdocs.returns import docs_returns_csv

urlpatterns = [
    re_path(r"^source/(?P<source_id>[^/]+)/?$", views.docs_source, name="docs-source"),
    re_path(
        r"^source/(?P<source_id>[^/]+)/openapi\.json$",
        views.docs_openapi,
        name="docs-openapi",
    ),
    re_path(r"^source/(?P<source_id>[^/]+)/docs-login$", views.docs_login, name="docs-login"),
    re_path(r"^source/(?P<source_id>[^/]+)/returns\.csv$", docs_returns_csv, name="docs-returns"),
]
