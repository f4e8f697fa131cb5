"""Management API shapes for caps, their current use, and the ledger."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from finance.models import Cap, LedgerEntry


class CapSerializer(serializers.ModelSerializer[Cap]):
    class Meta:
        model = Cap
        fields = [
            "id",
            "campaign",
            "source",
            "kind",
            "limit",
            "scope",
            "utm_source",
            "duration",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class CapUsageSerializer(serializers.Serializer[Any]):
    """A cap's current window: how full it is and when it will be reached at the current pace."""

    cap = serializers.IntegerField(source="state.cap.pk")
    campaign = serializers.IntegerField(source="state.cap.campaign_id")
    source = serializers.IntegerField(source="state.cap.source_id", allow_null=True)  # type: ignore[assignment]
    kind = serializers.CharField(source="state.cap.kind")
    description = serializers.CharField(source="state.cap.describe")
    limit = serializers.DecimalField(source="state.limit", max_digits=16, decimal_places=4)
    used = serializers.DecimalField(source="state.used", max_digits=16, decimal_places=4)
    remaining = serializers.DecimalField(source="state.remaining", max_digits=16, decimal_places=4)
    percent = serializers.DecimalField(max_digits=8, decimal_places=1)
    window_start = serializers.DateTimeField(source="state.window.start")
    window_end = serializers.DateTimeField(
        source="state.window.end", allow_null=True, help_text="Null for a rolling window."
    )
    pace_per_hour = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Contacts (or money) per hour lately."
    )
    projected = serializers.DecimalField(
        max_digits=16,
        decimal_places=4,
        help_text="What the window will hold at its end (rolling: the steady state).",
    )
    reached_at = serializers.DateTimeField(
        allow_null=True, help_text="When the cap will be reached at this pace; null: not soon."
    )


class LedgerEntrySerializer(serializers.ModelSerializer[LedgerEntry]):
    contact = serializers.IntegerField(source="contact_id", read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "amount",
            "source",
            "campaign",
            "contact",
            "utm_source",
            "reverses",
            "memo",
            "created_at",
        ]
        read_only_fields = fields


class LedgerTotalsQuerySerializer(serializers.Serializer[Any]):
    group_by = serializers.ChoiceField(choices=["source", "campaign", "day"], default="day")
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    source = serializers.IntegerField(required=False, min_value=1)  # type: ignore[assignment]
    campaign = serializers.IntegerField(required=False, min_value=1)
    tz = serializers.CharField(
        required=False, max_length=64, help_text="IANA timezone for day groups. Default UTC."
    )


class LedgerTotalsSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The source id, campaign id or day (YYYY-MM-DD).")
    contacts = serializers.IntegerField(help_text="Accepted contacts charged, net of reversals.")
    cost = serializers.DecimalField(max_digits=16, decimal_places=4)
    revenue = serializers.DecimalField(max_digits=16, decimal_places=4)
    margin = serializers.DecimalField(max_digits=16, decimal_places=4)
