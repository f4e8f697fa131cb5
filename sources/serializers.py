"""Management API shapes for sources, their tokens and whitelist entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from rest_framework import serializers

from sources.models import Source, SourceCampaign

MAX_DUPLICATE_WINDOW = timedelta(days=3650)


class SourceSerializer(serializers.ModelSerializer[Source]):
    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "description",
            "public_description",
            "is_published",
            "publish_up",
            "publish_down",
            "utm_source",
            "documentation_enabled",
            "internal",
            "notification_email",
            "notification_url",
            "verbose_key",
            "token_rotated_at",
            "previous_token_valid_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "token_rotated_at",
            "previous_token_valid_until",
            "created_at",
            "updated_at",
        ]


class SourceCreatedSerializer(SourceSerializer):
    """A new source with its token: the only time the token can be read (it is stored hashed)."""

    token = serializers.CharField(
        read_only=True, help_text="The source's intake token. Shown once: store it now."
    )

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "token"]


class SourceTokenRotateSerializer(serializers.Serializer[None]):
    grace_seconds = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=30 * 24 * 3600,
        help_text="How long the old token keeps working (seconds); 0 ends it at once. "
        f"Default {settings.TOKEN_ROTATION_GRACE_SECONDS}.",
    )


class SourceTokenSerializer(serializers.Serializer[dict[str, Any]]):
    token = serializers.CharField(help_text="The new intake token. Shown once: store it now.")
    token_rotated_at = serializers.DateTimeField()
    previous_token_valid_until = serializers.DateTimeField(
        allow_null=True, help_text="Until then the old token still works; null: it no longer does."
    )


class SourceCampaignSerializer(serializers.ModelSerializer[SourceCampaign]):
    duplicate_window = serializers.DurationField(
        allow_null=True,
        required=False,
        format="iso-8601",
        min_value=timedelta(seconds=1),
        max_value=MAX_DUPLICATE_WINDOW,
        help_text="ISO 8601 duration such as P30D; the same identity again within it is a "
        "duplicate. Null turns the check off.",
    )

    class Meta:
        model = SourceCampaign
        fields = [
            "id",
            "source",
            "campaign",
            "cost",
            "scrub_rate",
            "real_time",
            "duplicate_window",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class SourceCampaignUpdateSerializer(SourceCampaignSerializer):
    """An entry keeps its source and campaign; whitelist another campaign with a new entry."""

    class Meta(SourceCampaignSerializer.Meta):
        read_only_fields = ["source", "campaign", "created_at", "updated_at"]
