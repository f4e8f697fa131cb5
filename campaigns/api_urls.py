from __future__ import annotations

from rest_framework.routers import SimpleRouter

from campaigns.apis import CampaignFieldViewSet, CampaignViewSet

router = SimpleRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("campaign-fields", CampaignFieldViewSet, basename="campaign-field")

urlpatterns = router.urls
