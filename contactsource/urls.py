"""The root URLconf, part of the composition root (with admin_site.py and celery.py): the one
place besides them in contactsource/ that imports apps (DESIGN §2)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from health_check.views import HealthCheckView

from contactsource.landing import ApiRootView, landing
from ingest import urls as intake_urls
from ingest.views import contact_dispatch
from partnerdocs import urls as docs_urls
from partnerdocs.views import docs_campaign

# The API answers JSON even for URLs no route matches (contactsource/api.py).
handler404 = "contactsource.api.not_found"
handler500 = "contactsource.api.server_error"


@csrf_exempt
def contact_route(request: HttpRequest, source_id: str, campaign_id: str) -> HttpResponse:
    """/source/<sid>/campaign/<cid>[/contact]: the intake's URL doubles as the campaign's page of
    the partner docs (DESIGN §4, §8). GET and HEAD go to the docs, every other method to the
    intake (which takes POST and PUT and answers 405 to the rest)."""
    if request.method in ("GET", "HEAD"):
        return docs_campaign(request, source_id, campaign_id)
    return contact_dispatch(request, source_id, campaign_id)


# The partners' URL space, /source/…: the intake's routes and the docs pages' share the
# "ingest" namespace they had before the docs moved to their own app (ingest:docs-source, …).
source_routes = [
    re_path(intake_urls.CONTACT_ROUTE, contact_route, name="contact"),
    *intake_urls.urlpatterns,
    *docs_urls.urlpatterns,
]

urlpatterns = [
    path("", landing, name="landing"),
    path("admin/", admin.site.urls),
    path(
        "health/",
        HealthCheckView.as_view(
            checks=["health_check.checks.Database", "health_check.checks.Cache"]
        ),
        name="health",
    ),
    path("api/v1/", ApiRootView.as_view(), name="api-root"),
    # The person API for CRMs (persons/…); the callbacks' `url` values point here.
    path("api/v1/", include("subscriptions.urls")),
    # The management API, and its schema and docs (readable without login, assets served here).
    path("api/v1/", include("contactsource.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include((source_routes, "ingest"))),
]

if settings.BENCH_ENDPOINTS:
    # The benchmark's baseline (make bench): never mounted unless the setting asks for it.
    urlpatterns.insert(0, path("", include(("backoffice.bench_views", "bench"))))
