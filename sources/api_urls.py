from __future__ import annotations

from rest_framework.routers import SimpleRouter

from sources.apis import SourceCampaignViewSet, SourceViewSet

router = SimpleRouter()
router.register("sources", SourceViewSet, basename="source")
router.register("whitelist-entries", SourceCampaignViewSet, basename="whitelist-entry")

urlpatterns = router.urls
