from __future__ import annotations

import uuid

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

    # Indexed by contact_duplicate_idx, which leads with it.
    source = models.ForeignKey(
        "sources.Source", on_delete=models.PROTECT, related_name="contacts", db_index=False
    )
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
    # No index of their own: event_source_time_idx and event_campaign_time_idx lead with them.
    source = models.ForeignKey(
        "sources.Source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        db_index=False,
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        db_index=False,
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
