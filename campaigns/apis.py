"""Management API for campaigns and their fields (/api/v1/campaigns/, /api/v1/campaign-fields/).

Writes go through campaigns.services, which record the API change for every whitelisted source.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.serializers import BaseSerializer

from campaigns.filters import CampaignFieldFilterSet, CampaignFilterSet
from campaigns.models import Campaign, CampaignField
from campaigns.serializers import (
    CampaignFieldSerializer,
    CampaignFieldUpdateSerializer,
    CampaignSerializer,
)
from campaigns.services import (
    campaign_create,
    campaign_delete,
    campaign_field_create,
    campaign_field_delete,
    campaign_field_update,
    campaign_update,
)
from contactsource.api import ManagedViewSet


@extend_schema_view(
    list=extend_schema(summary="List campaigns"),
    retrieve=extend_schema(summary="Get a campaign"),
    create=extend_schema(summary="Create a campaign"),
    update=extend_schema(summary="Replace a campaign"),
    partial_update=extend_schema(summary="Update a campaign"),
    destroy=extend_schema(
        summary="Delete a campaign",
        description="Refused with 409 while contacts or ledger entries refer to it: "
        "unpublish it instead.",
    ),
)
class CampaignViewSet(ManagedViewSet):
    queryset = Campaign.objects.all()
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet
    ordering_fields = ["id", "name", "created_at", "revenue"]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = campaign_create(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        campaign: Campaign = serializer.instance  # type: ignore[assignment]
        serializer.instance = campaign_update(campaign=campaign, **serializer.validated_data)

    def perform_destroy(self, instance: Campaign) -> None:
        campaign_delete(campaign=instance)


@extend_schema_view(
    list=extend_schema(summary="List campaign fields"),
    retrieve=extend_schema(summary="Get a campaign field"),
    create=extend_schema(
        summary="Add a field to a campaign",
        description="A required field percolates to every source whitelisted for the campaign: "
        "the intake enforces it and each source's docs page and changelog show it.",
    ),
    update=extend_schema(summary="Replace a campaign field"),
    partial_update=extend_schema(summary="Update a campaign field"),
    destroy=extend_schema(summary="Remove a field from its campaign"),
)
class CampaignFieldViewSet(ManagedViewSet):
    queryset = CampaignField.objects.select_related("campaign")
    serializer_class = CampaignFieldSerializer
    filterset_class = CampaignFieldFilterSet
    ordering_fields = ["id", "position", "key", "created_at"]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action in ("update", "partial_update"):
            return CampaignFieldUpdateSerializer
        return CampaignFieldSerializer

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = campaign_field_create(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        field: CampaignField = serializer.instance  # type: ignore[assignment]
        serializer.instance = campaign_field_update(field=field, **serializer.validated_data)

    def perform_destroy(self, instance: CampaignField) -> None:
        campaign_field_delete(field=instance)
