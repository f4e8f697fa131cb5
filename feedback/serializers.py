"""REST shapes for returns, conversions, return settings and source quality."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from feedback.models import ContactReturn, Conversion, ReturnPolicy


class ReturnInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=64, help_text="One of the campaign's return reasons (see its return settings)."
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="Free text."
    )


class ReturnSerializer(serializers.ModelSerializer[ContactReturn]):
    class Meta:
        model = ContactReturn
        fields = [
            "id",
            "contact",
            "source",
            "campaign",
            "reason",
            "note",
            "status",
            "rejection_reason",
            "endpoint",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class RejectInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=500, help_text="Why the return is rejected (required)."
    )


class ConversionInputSerializer(serializers.Serializer[Any]):
    value = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        required=False,
        allow_null=True,
        min_value=0,
        help_text="What the sale was worth to the buyer (kept as feedback, never revenue).",
    )
    converted_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When it converted (default: now)."
    )


class ConversionSerializer(serializers.ModelSerializer[Conversion]):
    class Meta:
        model = Conversion
        fields = [
            "id",
            "contact",
            "source",
            "campaign",
            "value",
            "converted_at",
            "endpoint",
            "reported_at",
        ]
        read_only_fields = fields


class ReturnPolicySerializer(serializers.ModelSerializer[ReturnPolicy]):
    reasons = serializers.ListField(
        child=serializers.RegexField(r"^[a-z0-9_]{1,64}$", max_length=64),
        allow_empty=False,
        help_text="Reason codes (lowercase letters, digits, _).",
    )

    class Meta:
        model = ReturnPolicy
        fields = ["campaign", "window", "reasons", "review"]
        read_only_fields = ["campaign"]


class QualityRowSerializer(serializers.Serializer[Any]):
    source = serializers.IntegerField()  # type: ignore[assignment]
    source_name = serializers.CharField()
    campaign = serializers.IntegerField(allow_null=True, help_text="Null: all campaigns.")
    accepted = serializers.IntegerField(help_text="Contacts accepted in the range.")
    returned = serializers.IntegerField(help_text="Of those, returns approved.")
    pending = serializers.IntegerField(help_text="Of those, returns waiting for review.")
    return_rate = serializers.FloatField(help_text="returned / accepted, 0-1.")
    reasons = serializers.DictField(
        child=serializers.IntegerField(), help_text="Approved returns by reason."
    )
    converted = serializers.IntegerField()
    conversion_rate = serializers.FloatField(help_text="converted / accepted, 0-1.")
    conversion_value = serializers.DecimalField(max_digits=16, decimal_places=4)
