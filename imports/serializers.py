"""The CSV imports API's shapes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from campaigns.models import Campaign
from imports.models import ContactImport, ContactImportProblem
from sources.models import Source


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
