from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from ingest.apis import ContactImportViewSet, ContactViewSet, IntakeEventViewSet, StatsView

router = SimpleRouter()
router.register("contacts", ContactViewSet, basename="contact")
router.register("intake-events", IntakeEventViewSet, basename="intake-event")
router.register("imports", ContactImportViewSet, basename="import")

urlpatterns = [
    *router.urls,
    path("stats/", StatsView.as_view(), name="stats"),
]
