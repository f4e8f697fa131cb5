"""Management API shapes for CRM callback endpoints and their deliveries."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from campaigns.models import Campaign
from subscriptions.models import CallbackDelivery, CallbackEndpoint, EventType


class CallbackEndpointSerializer(serializers.ModelSerializer[CallbackEndpoint]):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        min_length=1,
        required=False,
        help_text="The events this endpoint receives (default: all).",
    )
    campaigns = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Campaign.objects.all(),
        help_text="Only these campaigns' events; empty means every campaign.",
    )
    headers = serializers.DictField(
        child=serializers.CharField(max_length=1000),
        required=False,
        help_text='Extra request headers, e.g. {"X-Api-Key": "…"}.',
    )
    has_api_key = serializers.SerializerMethodField(
        help_text="Whether the CRM has a person-API key (issue one with the api-key action)."
    )

    class Meta:
        model = CallbackEndpoint
        fields = [
            "id",
            "name",
            "url",
            "secret",
            "event_types",
            "campaigns",
            "is_active",
            "is_primary",
            "headers",
            "has_api_key",
            "consecutive_failures",
            "failing_since",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "secret",
            "consecutive_failures",
            "failing_since",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "secret": {
                "help_text": "Give it to the CRM: it verifies webhook-signature with it. "
                "Present only for holders of `subscriptions.manage_endpoint_secret`; "
                "other users' answers leave it out."
            }
        }

    def get_has_api_key(self, endpoint: CallbackEndpoint) -> bool:
        return bool(endpoint.api_key_hash)


class CallbackEndpointSchema(OpenApiSerializerExtension):
    """The schema as answers are: `secret` is read-only, yet not always present (the view
    drops it for users without its permission), so it is never in `required`."""

    target_class = CallbackEndpointSerializer

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(
            self.target, direction, bypass_extensions=True
        )
        required = [name for name in schema.get("required", []) if name != "secret"]
        if required:
            schema["required"] = required
        else:
            schema.pop("required", None)
        return schema


class EndpointApiKeySerializer(serializers.Serializer[Any]):
    api_key = serializers.CharField(
        help_text="The CRM's person-API key (Authorization: Token …). Shown once."
    )


class ReplayCountSerializer(serializers.Serializer[Any]):
    replayed = serializers.IntegerField(help_text="How many deliveries were sent again.")


class CallbackDeliverySerializer(serializers.ModelSerializer[CallbackDelivery]):
    contact = serializers.IntegerField(source="contact_id", allow_null=True, read_only=True)

    class Meta:
        model = CallbackDelivery
        fields = [
            "id",
            "endpoint",
            "subscription",
            "event_id",
            "event_type",
            "event_date",
            "payload",
            "contact",
            "status",
            "attempts",
            "next_attempt_at",
            "retry_until",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
