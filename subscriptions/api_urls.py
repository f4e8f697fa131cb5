from __future__ import annotations

from rest_framework.routers import SimpleRouter

from subscriptions.callback_apis import CallbackDeliveryViewSet, CallbackEndpointViewSet

router = SimpleRouter()
router.register("callback-endpoints", CallbackEndpointViewSet, basename="callback-endpoint")
router.register("deliveries", CallbackDeliveryViewSet, basename="delivery")

urlpatterns = router.urls
