from __future__ import annotations

from rest_framework.routers import SimpleRouter

from imports.apis import ContactImportViewSet

router = SimpleRouter()
router.register("imports", ContactImportViewSet, basename="import")

urlpatterns = router.urls
