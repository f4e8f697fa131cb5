"""Management API shapes for campaigns and their fields."""

from __future__ import annotations

from rest_framework import serializers

from campaigns.models import Campaign, CampaignField


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "description",
            "is_published",
            "publish_up",
            "publish_down",
            "revenue",
            "phone_region",
            "timezone",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class CampaignFieldSerializer(serializers.ModelSerializer[CampaignField]):
    choices = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        max_length=500,
        help_text="Allowed values for select and multiselect fields.",
    )

    class Meta:
        model = CampaignField
        fields = [
            "id",
            "campaign",
            "key",
            "label",
            "type",
            "required",
            "choices",
            "example",
            "position",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class CampaignFieldUpdateSerializer(CampaignFieldSerializer):
    """A field stays with its campaign; move it by deleting and re-creating it."""

    class Meta(CampaignFieldSerializer.Meta):
        read_only_fields = ["campaign", "created_at", "updated_at"]
