"""Management API for CRM callbacks: endpoints (/api/v1/callback-endpoints/) and the delivery
log (/api/v1/deliveries/) with replay. The person API for CRMs lives in subscriptions/apis.py.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, ListSerializer, Serializer

from contactsource.api import ManagedViewSet, ReadOnlyViewSet
from subscriptions.authentication import ENDPOINT_SECRET_PERMISSION, PERSON_API_PERMISSION
from subscriptions.callback_serializers import (
    CallbackDeliverySerializer,
    CallbackEndpointSerializer,
    EndpointApiKeySerializer,
    ReplayCountSerializer,
)
from subscriptions.filters import CallbackDeliveryFilterSet, CallbackEndpointFilterSet
from subscriptions.models import CallbackDelivery, CallbackEndpoint
from subscriptions.services import (
    deliveries_replay,
    endpoint_api_key_issue,
    endpoint_api_key_revoke,
    endpoint_create,
    endpoint_enable,
)
from subscriptions.services.endpoints import endpoint_delete, endpoint_update

CHANGE_ENDPOINT = ("subscriptions.change_callbackendpoint",)
# A key reads persons: only who may use the person API may hand one out (or take it back).
ISSUE_KEY = (*CHANGE_ENDPOINT, PERSON_API_PERMISSION)
SCOPE_CHANGE_REFUSED = (
    "This endpoint has a person-API key, and its campaigns decide which persons the key "
    "reaches: changing them needs the person-API permission (subscriptions.use_person_api)."
)


def _endpoint_fields(data: dict[str, Any]) -> tuple[dict[str, Any], list[int] | None]:
    fields = dict(data)
    campaigns = fields.pop("campaigns", None)
    return fields, None if campaigns is None else [c.pk for c in campaigns]


@extend_schema_view(
    list=extend_schema(summary="List callback endpoints"),
    retrieve=extend_schema(summary="Get a callback endpoint"),
    create=extend_schema(
        summary="Add a callback endpoint",
        description="A CRM URL that receives signed subscription_added / subscription_removed "
        "callbacks (Standard Webhooks signature with the endpoint's `secret`). Answers carry "
        "`secret` only for holders of `subscriptions.manage_endpoint_secret`.",
    ),
    update=extend_schema(summary="Replace a callback endpoint"),
    partial_update=extend_schema(summary="Update a callback endpoint"),
    destroy=extend_schema(summary="Delete a callback endpoint and its delivery log"),
)
class CallbackEndpointViewSet(ManagedViewSet):
    queryset = CallbackEndpoint.objects.prefetch_related("campaigns")
    serializer_class = CallbackEndpointSerializer
    filterset_class = CallbackEndpointFilterSet
    ordering_fields = ["id", "name", "created_at"]
    action_permissions = {
        "api_key": ISSUE_KEY,
        "api_key_revoke": ISSUE_KEY,
        "enable": CHANGE_ENDPOINT,
        "replay_dead": ("subscriptions.change_callbackdelivery",),
    }

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        """Answers carry the signing secret only for holders of its permission."""
        serializer = super().get_serializer(*args, **kwargs)
        if getattr(self, "swagger_fake_view", False):  # the schema describes the field
            return serializer
        if not self.request.user.has_perm(ENDPOINT_SECRET_PERMISSION):
            shown = serializer.child if isinstance(serializer, ListSerializer) else serializer
            if isinstance(shown, Serializer):
                shown.fields.pop("secret", None)
        return serializer

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        fields, campaign_ids = _endpoint_fields(serializer.validated_data)
        serializer.instance = endpoint_create(campaign_ids=campaign_ids, **fields)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        endpoint: CallbackEndpoint = serializer.instance  # type: ignore[assignment]
        fields, campaign_ids = _endpoint_fields(serializer.validated_data)
        if (
            endpoint.api_key_hash
            and campaign_ids is not None
            and set(campaign_ids) != {c.pk for c in endpoint.campaigns.all()}
            and not self.request.user.has_perm(PERSON_API_PERMISSION)
        ):
            raise PermissionDenied(SCOPE_CHANGE_REFUSED)
        serializer.instance = endpoint_update(
            endpoint=endpoint, campaign_ids=campaign_ids, **fields
        )

    def perform_destroy(self, instance: CallbackEndpoint) -> None:
        endpoint_delete(endpoint=instance)

    @extend_schema(
        operation_id="callback_endpoints_api_key_issue",
        summary="Issue a person-API key for the endpoint's CRM",
        description="Replaces any previous key. The key is shown once in this answer. Needs "
        "the person-API permission besides the change permission: a key reads persons.",
        request=None,
        responses={201: EndpointApiKeySerializer},
    )
    @action(detail=True, methods=["post"], url_path="api-key")
    def api_key(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        key = endpoint_api_key_issue(endpoint_id=endpoint.pk)
        return Response({"api_key": key}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="callback_endpoints_api_key_revoke",
        summary="Revoke the CRM's person-API key",
        description="Needs the person-API permission besides the change permission.",
        request=None,
        responses={204: OpenApiResponse(description="Revoked.")},
    )
    @api_key.mapping.delete
    def api_key_revoke(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        endpoint_api_key_revoke(endpoint_id=endpoint.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Put an endpoint back in service",
        description="After an automatic disable: a fresh failure streak, and its waiting "
        "deliveries resume at once.",
        request=None,
        responses={200: CallbackEndpointSerializer},
    )
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        endpoint_enable(endpoint_id=endpoint.pk)
        endpoint.refresh_from_db()
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(
        summary="Replay every dead delivery of this endpoint",
        request=None,
        responses={200: ReplayCountSerializer},
    )
    @action(detail=True, methods=["post"], url_path="replay-dead")
    def replay_dead(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        count = deliveries_replay(endpoint_id=endpoint.pk)
        return Response({"replayed": count})


@extend_schema_view(
    list=extend_schema(
        summary="List callback deliveries",
        description="The outbox: one row per event per endpoint, with its attempts and result.",
    ),
    retrieve=extend_schema(summary="Get a callback delivery"),
)
class CallbackDeliveryViewSet(ReadOnlyViewSet):
    queryset = CallbackDelivery.objects.all()
    serializer_class = CallbackDeliverySerializer
    filterset_class = CallbackDeliveryFilterSet
    ordering_fields = ["id", "created_at", "next_attempt_at"]
    action_permissions = {"replay": ("subscriptions.change_callbackdelivery",)}

    @extend_schema(
        summary="Send a delivery again now",
        description="Same event id (receivers dedupe on it); `delivery_attempt` counts on.",
        request=None,
        responses={200: CallbackDeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        delivery = self.get_object()
        deliveries_replay(delivery_ids=[delivery.pk])
        delivery.refresh_from_db()
        return Response(self.get_serializer(delivery).data)
