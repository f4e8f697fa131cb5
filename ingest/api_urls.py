from __future__ import annotations

from rest_framework.routers import SimpleRouter

from ingest.apis import ContactViewSet, IntakeEventViewSet

router = SimpleRouter()
router.register("contacts", ContactViewSet, basename="contact")
router.register("intake-events", IntakeEventViewSet, basename="intake-event")

urlpatterns = router.urls
