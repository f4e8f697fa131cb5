"""Management API for sources and whitelist entries (/api/v1/sources/, /api/v1/whitelist-entries/).

A token is readable exactly twice in its life: in the answer that creates the source and in the
answer that rotates it. Everything else only ever sees the stored hash's metadata.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from contactsource.api import ManagedViewSet
from sources.filters import SourceCampaignFilterSet, SourceFilterSet
from sources.models import Source, SourceCampaign
from sources.serializers import (
    SourceCampaignSerializer,
    SourceCampaignUpdateSerializer,
    SourceCreatedSerializer,
    SourceSerializer,
    SourceTokenRotateSerializer,
    SourceTokenSerializer,
)
from sources.services import (
    source_campaign_delete,
    source_campaign_set,
    source_create,
    source_delete,
    source_rotate_token,
    source_update,
)


@extend_schema_view(
    list=extend_schema(summary="List sources"),
    retrieve=extend_schema(summary="Get a source"),
    update=extend_schema(summary="Replace a source"),
    partial_update=extend_schema(summary="Update a source"),
    destroy=extend_schema(
        summary="Delete a source",
        description="Refused with 409 while contacts or ledger entries refer to it: "
        "unpublish it instead.",
    ),
)
class SourceViewSet(ManagedViewSet):
    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    ordering_fields = ["id", "name", "created_at"]
    action_permissions = {"rotate_token": ("sources.change_source",)}

    @extend_schema(
        summary="Create a source",
        description="The answer carries the source's intake `token`: the only time it is shown.",
        responses={201: SourceCreatedSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source, token = source_create(**serializer.validated_data)
        source.token = token  # type: ignore[attr-defined]
        body = SourceCreatedSerializer(source, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        source: Source = serializer.instance  # type: ignore[assignment]
        serializer.instance = source_update(source=source, **serializer.validated_data)

    def perform_destroy(self, instance: Source) -> None:
        source_delete(source=instance)

    @extend_schema(
        operation_id="sources_rotate_token",
        summary="Rotate a source's token",
        description="Issues a new token, shown once in the answer. The old token keeps working "
        "for `grace_seconds` (default: the server's setting) so the partner can switch over.",
        request=SourceTokenRotateSerializer,
        responses={200: SourceTokenSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request: Request, pk: str | None = None) -> Response:
        source = self.get_object()
        serializer = SourceTokenRotateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = source_rotate_token(
            source=source, grace_seconds=serializer.validated_data.get("grace_seconds")
        )
        source.refresh_from_db()
        body = {
            "token": token,
            "token_rotated_at": source.token_rotated_at,
            "previous_token_valid_until": source.previous_token_valid_until,
        }
        return Response(SourceTokenSerializer(body).data)


@extend_schema_view(
    list=extend_schema(summary="List whitelist entries"),
    retrieve=extend_schema(summary="Get a whitelist entry"),
    create=extend_schema(
        summary="Whitelist a campaign for a source",
        description="The source may then post into the campaign, at this cost per accepted "
        "contact and scrub rate. The source is told of the change (its API changelog).",
    ),
    update=extend_schema(summary="Replace a whitelist entry"),
    partial_update=extend_schema(summary="Update a whitelist entry"),
    destroy=extend_schema(summary="Remove a campaign from a source's whitelist"),
)
class SourceCampaignViewSet(ManagedViewSet):
    queryset = SourceCampaign.objects.all()
    serializer_class = SourceCampaignSerializer
    filterset_class = SourceCampaignFilterSet
    ordering_fields = ["id", "source", "campaign", "cost", "created_at"]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action in ("update", "partial_update"):
            return SourceCampaignUpdateSerializer
        return SourceCampaignSerializer

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        source, campaign = data.pop("source"), data.pop("campaign")
        serializer.instance = source_campaign_set(source=source, campaign_id=campaign.pk, **data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        entry: SourceCampaign = serializer.instance  # type: ignore[assignment]
        serializer.instance = source_campaign_set(
            source=entry.source, campaign_id=entry.campaign_id, **serializer.validated_data
        )

    def perform_destroy(self, instance: SourceCampaign) -> None:
        source_campaign_delete(entry=instance)
