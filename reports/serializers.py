"""The stats API's shapes (read-only aggregates of the intake events)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ingest.models import IntakeStatus


class StatsQuerySerializer(serializers.Serializer[None]):
    created_after = serializers.DateTimeField(
        required=False, help_text="Start of the range (inclusive). Default: 30 days ago."
    )
    created_before = serializers.DateTimeField(
        required=False, help_text="End of the range (exclusive). Default: now."
    )
    interval = serializers.ChoiceField(
        choices=["hour", "day", "week", "month", "none"],
        default="day",
        help_text="Time bucket (weeks start on Monday); `none` for no time grouping.",
    )
    group_by = serializers.ListField(
        child=serializers.ChoiceField(choices=["status", "source", "campaign"]),
        required=False,
        max_length=3,
        help_text="Dimensions to group by as well, repeatable: group_by=status&group_by=source.",
    )
    tz = serializers.CharField(
        required=False,
        max_length=64,
        help_text="IANA timezone the buckets start in (e.g. America/New_York). Default: UTC.",
    )
    source = serializers.IntegerField(  # type: ignore[assignment]
        required=False, min_value=1, help_text="Source id."
    )
    campaign = serializers.IntegerField(required=False, min_value=1, help_text="Campaign id.")
    status = serializers.ChoiceField(choices=IntakeStatus.choices, required=False)


class StatsMeasuresSerializer(serializers.Serializer[None]):
    count = serializers.IntegerField(help_text="Intake requests (batch items count one each).")
    accepted = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=16, decimal_places=4)
    revenue = serializers.DecimalField(max_digits=16, decimal_places=4)
    margin = serializers.DecimalField(max_digits=16, decimal_places=4)


class StatsRowSerializer(StatsMeasuresSerializer):
    bucket = serializers.DateTimeField(
        required=False, help_text="Start of the time bucket (with interval other than none)."
    )
    status = serializers.ChoiceField(choices=IntakeStatus.choices, required=False)
    source = serializers.IntegerField(required=False, allow_null=True)  # type: ignore[assignment]
    source_name = serializers.CharField(required=False, allow_null=True)
    campaign = serializers.IntegerField(required=False, allow_null=True)
    campaign_name = serializers.CharField(required=False, allow_null=True)


class StatsSerializer(serializers.Serializer[dict[str, Any]]):
    created_after = serializers.DateTimeField()
    created_before = serializers.DateTimeField()
    interval = serializers.CharField()
    group_by = serializers.ListField(child=serializers.CharField())
    tz = serializers.CharField()
    totals = StatsMeasuresSerializer()
    results = StatsRowSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text="True when there were more groups than returned: narrow the range."
    )
