"""Management API shapes for contacts, intake events and stats (read-only), and the intake's
own answers (documented in the OpenAPI schema; the intake writes them by hand)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from campaigns.models import Campaign
from ingest.models import Contact, ContactImport, ContactImportProblem, IntakeEvent, IntakeStatus
from sources.models import Source


class ContactSerializer(serializers.ModelSerializer[Contact]):
    class Meta:
        model = Contact
        fields = [
            "id",
            "source",
            "campaign",
            "status",
            "firstname",
            "lastname",
            "email",
            "phone",
            "mobile",
            "address1",
            "address2",
            "city",
            "state",
            "zipcode",
            "country",
            "external_id",
            "ip",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_content",
            "utm_term",
            "user_agent",
            "url",
            "referer",
            "custom",
            "created_at",
        ]
        read_only_fields = fields


class IntakeEventSerializer(serializers.ModelSerializer[IntakeEvent]):
    class Meta:
        model = IntakeEvent
        fields = [
            "id",
            "request_id",
            "source",
            "campaign",
            "requested_source_id",
            "requested_campaign_id",
            "contact",
            "status",
            "http_status",
            "cost",
            "revenue",
            "errors",
            "fields_provided",
            "fields_stored",
            "duration",
            "client_ip",
            "is_test",
            "batch_index",
            "replay_of",
            "created_at",
        ]
        read_only_fields = fields


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


class ContactImportSerializer(serializers.ModelSerializer[ContactImport]):
    progress = serializers.SerializerMethodField(help_text="Percent of the file read (0-100).")

    class Meta:
        model = ContactImport
        fields = [
            "id",
            "public_id",
            "source",
            "campaign",
            "filename",
            "size",
            "columns",
            "mapping",
            "status",
            "progress",
            "rows_processed",
            "rows_imported",
            "rows_invalid",
            "rows_duplicate",
            "rows_warned",
            "error",
            "created_at",
            "updated_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "columns": {"help_text": "The header's column names, in file order."},
            "mapping": {"help_text": "Column index (as text) to field key; guessed at upload."},
        }

    def get_progress(self, imp: ContactImport) -> float:
        body = max(imp.size - imp.data_start, 1)
        return round(min(100.0, 100.0 * max(imp.offset - imp.data_start, 0) / body), 1)


class ContactImportCreateSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="A CSV file with a header row.")
    source = serializers.PrimaryKeyRelatedField(queryset=Source.objects.all())  # type: ignore[assignment]
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())

    def validate_file(self, upload: Any) -> Any:
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise serializers.ValidationError(
                f"The file is {upload.size} bytes; the limit is {limit}. Split it."
            )
        return upload


class ContactImportStartSerializer(serializers.Serializer[Any]):
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=64),
        help_text='Column index (as text) to field key, e.g. {"0": "email", "2": "phone"}; '
        "unmapped columns are ignored.",
    )


class ContactImportProblemSerializer(serializers.ModelSerializer[ContactImportProblem]):
    class Meta:
        model = ContactImportProblem
        fields = ["row_number", "outcome", "values", "errors", "contact"]
        read_only_fields = fields
