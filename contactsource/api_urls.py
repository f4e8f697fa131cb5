"""The management REST API, /api/v1/: every app's routes under one `api` namespace.

The person API for CRMs (subscriptions/urls.py) is mounted beside it under the same prefix.
"""

from __future__ import annotations

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("sources.api_urls")),
    path("", include("campaigns.api_urls")),
    path("", include("ingest.api_urls")),
    path("", include("feedback.api_urls")),
    path("", include("imports.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("finance.api_urls")),
    path("", include("subscriptions.api_urls")),
]
