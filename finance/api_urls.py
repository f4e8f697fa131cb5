from __future__ import annotations

from rest_framework.routers import SimpleRouter

from finance.apis import CapViewSet, LedgerEntryViewSet

router = SimpleRouter()
router.register("caps", CapViewSet, basename="cap")
router.register("ledger-entries", LedgerEntryViewSet, basename="ledger-entry")

urlpatterns = router.urls
