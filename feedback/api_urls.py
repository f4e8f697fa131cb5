from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from feedback.apis import ContactConversionApi, ContactReturnApi, ContactReturnViewSet
from feedback.policy_apis import ReturnPolicyApi, SourceQualityApi, SourceQualityExportApi

router = SimpleRouter()
router.register("returns", ContactReturnViewSet, basename="return")

urlpatterns = [
    path("contacts/<int:contact_id>/return/", ContactReturnApi.as_view(), name="contact-return"),
    path(
        "contacts/<int:contact_id>/conversion/",
        ContactConversionApi.as_view(),
        name="contact-conversion",
    ),
    path(
        "campaigns/<int:campaign_id>/return-settings/",
        ReturnPolicyApi.as_view(),
        name="campaign-return-settings",
    ),
    path("feedback/source-quality/", SourceQualityApi.as_view(), name="source-quality"),
    path(
        "feedback/source-quality/export/",
        SourceQualityExportApi.as_view(),
        name="source-quality-export",
    ),
    *router.urls,
]
