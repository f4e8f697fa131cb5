"""A CSV import and the rows of it that need attention (tables kept from the ingest app)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", "Waiting for the column mapping"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ContactImport(models.Model):
    """An uploaded CSV file imported into one source and campaign, in chunks, by a Celery task.

    The file lives in the row (PostgreSQL is the only state: any worker can read it); the task
    reads it slice by slice from `offset` and commits its counts with each chunk, so a killed
    worker resumes where the last chunk ended.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.ForeignKey("sources.Source", on_delete=models.PROTECT, related_name="imports")
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    filename = models.CharField(max_length=255)
    content = models.BinaryField(editable=False)
    size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=16, default="utf-8")
    delimiter = models.CharField(max_length=1, default=",")
    # The header's column names, in file order; `mapping` maps a column's index to a field key.
    columns = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.MAPPING
    )
    # Where the rows start (after the header) and how far the task has read, in bytes.
    data_start = models.PositiveBigIntegerField(default=0)
    offset = models.PositiveBigIntegerField(default=0, help_text="Bytes of the file read so far.")
    rows_processed = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_warned = models.PositiveIntegerField(
        default=0, help_text="Imported rows that had a value dropped (an invalid optional field)."
    )
    error = models.TextField(blank=True, help_text="Why the import as a whole failed.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Moved from the ingest app with its rows: the table keeps its name.
        db_table = "ingest_contactimport"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="import_status_idx")]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.filename})"


class ImportRowOutcome(models.TextChoices):
    INVALID = "invalid", "Not imported: invalid"
    DUPLICATE = "duplicate", "Not imported: duplicate"
    WARNED = "warned", "Imported, with a value dropped"


class ContactImportProblem(models.Model):
    """A row of an import that needs attention: not imported, or imported without some value."""

    contact_import = models.ForeignKey(
        ContactImport, on_delete=models.CASCADE, related_name="problems"
    )
    # As a spreadsheet numbers it: the header is row 1, the first contact row 2.
    row_number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16, choices=ImportRowOutcome.choices)
    values = models.JSONField(default=dict, help_text="The row as uploaded, by column name.")
    errors = models.JSONField(default=dict)
    contact = models.ForeignKey("ingest.Contact", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        db_table = "ingest_contactimportproblem"
        ordering = ["contact_import_id", "row_number"]
        indexes = [
            models.Index(fields=["contact_import", "row_number"], name="importproblem_row_idx")
        ]

    def __str__(self) -> str:
        return f"import {self.contact_import_id} row {self.row_number}"
