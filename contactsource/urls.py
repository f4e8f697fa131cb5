from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from health_check.views import HealthCheckView

# The API answers JSON even for URLs no route matches (contactsource/api.py).
handler404 = "contactsource.api.not_found"
handler500 = "contactsource.api.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "health/",
        HealthCheckView.as_view(
            checks=["health_check.checks.Database", "health_check.checks.Cache"]
        ),
        name="health",
    ),
    # The person API for CRMs (persons/…); the callbacks' `url` values point here.
    path("api/v1/", include("subscriptions.urls")),
    # The management API, and its schema and docs (readable without login, assets served here).
    path("api/v1/", include("contactsource.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("ingest.urls")),
]

if settings.BENCH_ENDPOINTS:
    # The benchmark's baseline (make bench): never mounted unless the setting asks for it.
    urlpatterns.insert(0, path("", include(("backoffice.bench_views", "bench"))))
