from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ContactStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    SCRUBBED = "scrubbed", "Scrubbed"
    REJECTED = "rejected", "Rejected"


class IntakeStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    SCRUBBED = "scrubbed", "Scrubbed"
    REJECTED = "rejected", "Rejected"
    DUPLICATE = "duplicate", "Duplicate"
    LIMITED = "limited", "Limited"
    INVALID = "invalid", "Invalid"
    ERROR = "error", "Error"


class Contact(models.Model):
    """One kept intake (accepted, scrubbed or rejected by a real-time buyer)."""

    source = models.ForeignKey("sources.Source", on_delete=models.PROTECT, related_name="contacts")
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="contacts"
    )
    status = models.CharField(max_length=16, choices=ContactStatus.choices)
    # sha256 of normalised "email|phone|mobile"; empty when the contact has none of them.
    identity_hash = models.CharField(max_length=64, blank=True)
    firstname = models.CharField(max_length=255, blank=True)
    lastname = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=320, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    mobile = models.CharField(max_length=32, blank=True)
    address1 = models.CharField(max_length=255, blank=True)
    address2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=64, blank=True)
    zipcode = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=2, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True)
    utm_content = models.CharField(max_length=255, blank=True)
    utm_term = models.CharField(max_length=255, blank=True)
    user_agent = models.TextField(blank=True)
    url = models.TextField(blank=True)
    referer = models.TextField(blank=True)
    custom = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The duplicate check: same identity in this source+campaign since a moment.
            models.Index(
                fields=["source", "campaign", "identity_hash", "created_at"],
                name="contact_duplicate_idx",
            ),
            models.Index(fields=["email"], name="contact_email_idx"),
            models.Index(fields=["phone"], name="contact_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"contact {self.pk}"


class IntakeEvent(models.Model):
    """Exactly one row per intake request (one per item of a batch): the log, stats and charts."""

    request_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    source = models.ForeignKey(
        "sources.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    # The ids the client asked for, kept even when they did not resolve (for support).
    requested_source_id = models.CharField(max_length=32, blank=True)
    requested_campaign_id = models.CharField(max_length=32, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    status = models.CharField(max_length=16, choices=IntakeStatus.choices)
    http_status = models.PositiveSmallIntegerField()
    cost = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    revenue = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    errors = models.JSONField(null=True, blank=True)
    fields_provided = models.JSONField(null=True, blank=True)
    fields_stored = models.JSONField(null=True, blank=True)
    # Searchable copies for the timeline's free-text filter (normalised values).
    email = models.CharField(max_length=320, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    duration = models.FloatField(default=0.0)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    is_test = models.BooleanField(default=False)
    batch_index = models.PositiveIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    # SHA-256 of the body's fields (ingest.idempotency.body_hash): a key is bound to its body.
    # The database default keeps raw inserts (generate_events) that do not name it working.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="", db_default="")
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("export_intakeevent", "Can export intake events as CSV")]
        indexes = [
            models.Index(fields=["source", "created_at"], name="event_source_time_idx"),
            models.Index(fields=["campaign", "created_at"], name="event_campaign_time_idx"),
            models.Index(fields=["status", "created_at"], name="event_status_time_idx"),
            models.Index(fields=["email"], name="event_email_idx"),
            models.Index(fields=["phone"], name="event_phone_idx"),
        ]
        constraints = [
            # One original answer per key, source, campaign and test flag: a concurrent retry
            # loses the race here.
            models.UniqueConstraint(
                fields=["source", "campaign", "is_test", "idempotency_key"],
                condition=models.Q(replay_of__isnull=True, batch_index__isnull=True)
                & ~models.Q(idempotency_key=""),
                name="event_idempotency_scope_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"event {self.pk} ({self.status})"


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
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["contact_import_id", "row_number"]
        indexes = [
            models.Index(fields=["contact_import", "row_number"], name="importproblem_row_idx")
        ]

    def __str__(self) -> str:
        return f"import {self.contact_import_id} row {self.row_number}"


class IntakeStatHour(models.Model):
    """Counted intake events (no tests, no replays) per hour, source, campaign and status.

    Kept by a beat task (reports.stats_rollup) a couple of minutes behind the log, so the charts
    sum a few thousand of these rows plus the last minutes of raw events, instead of scanning
    millions of events. The row for the newest hour covers it only up to the watermark.
    """

    hour = models.DateTimeField()  # UTC start of the hour
    source = models.ForeignKey(
        "sources.Source", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=IntakeStatus.choices)
    events = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)

    class Meta:
        indexes = [
            models.Index(fields=["hour"], name="stathour_hour_idx"),
            models.Index(fields=["source", "hour"], name="stathour_source_idx"),
            models.Index(fields=["campaign", "hour"], name="stathour_campaign_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.status}: {self.events}"


class IntakeStatRollup(models.Model):
    """How far IntakeStatHour has been rolled up: events before `rolled_until` are in it."""

    name = models.CharField(max_length=32, unique=True)
    rolled_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} rolled up until {self.rolled_until}"
