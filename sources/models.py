from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contactsource.models import PublishableModel, TimestampedModel
from contactsource.tokens import verbose_key_generate
from contactsource.webhooks import UnsafeTargetError, check_url, webhook_secret_generate

DEFAULT_DUPLICATE_WINDOW = timedelta(days=30)


class Source(PublishableModel, TimestampedModel):
    name = models.CharField(max_length=200)
    category = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        help_text="Free text to group sources in the admin's list (e.g. 'Affiliates', 'Social').",
    )
    description = models.TextField("internal description", blank=True)
    public_description = models.TextField(
        blank=True, help_text="Shown to the partner on the source's documentation page."
    )
    # Only hashes are stored; the token itself is shown once on creation and rotation.
    token_hash = models.CharField(max_length=64, editable=False)
    previous_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    previous_token_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    token_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    verbose_key = models.CharField(
        max_length=64,
        blank=True,
        default=verbose_key_generate,
        help_text="Send it as the 'verbose' header to get debugging detail; empty turns it off.",
    )
    utm_source = models.CharField(
        "utm_source override",
        max_length=255,
        blank=True,
        help_text="When set, replaces any posted utm_source.",
    )
    documentation_enabled = models.BooleanField(default=True)
    internal = models.BooleanField(
        default=False,
        help_text="May post into any existing, published campaign without a whitelist entry.",
    )
    notification_email = models.EmailField(
        blank=True, help_text="Told by email when this source's API changes (campaigns, fields)."
    )
    notification_url = models.URLField(
        blank=True, help_text="Sent a signed JSON webhook when this source's API changes."
    )
    # Signs change-notification webhooks (Standard Webhooks); shown on the source's docs page so
    # the partner can verify them. Not a credential for the intake.
    notification_secret = models.CharField(
        max_length=64, default=webhook_secret_generate, editable=False
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The callbacks' rule: http(s) only, never a link-local or cloud metadata address.
        try:
            if self.notification_url:
                check_url(self.notification_url)
        except UnsafeTargetError as exc:
            raise ValidationError({"notification_url": str(exc)}) from None


class SourceCampaign(TimestampedModel):
    """A whitelist entry: the source may post into the campaign, at this price and scrub rate."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="entries")
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="entries"
    )
    cost = models.DecimalField(
        "cost per accepted contact",
        max_digits=12,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    scrub_rate = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="Percent (0-100) of distinct identities kept but not charged.",
    )
    real_time = models.BooleanField(
        default=False, help_text="The campaign's primary CRM decides acceptance synchronously."
    )
    duplicate_window = models.DurationField(
        default=DEFAULT_DUPLICATE_WINDOW,
        null=True,
        blank=True,
        help_text="Same identity again within this window is a duplicate; empty turns it off.",
    )
    is_active = models.BooleanField("active", default=True)

    class Meta:
        verbose_name = "whitelist entry"
        verbose_name_plural = "whitelist entries"
        ordering = ["source_id", "campaign_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "campaign"], name="sourcecampaign_unique"),
            models.CheckConstraint(
                condition=models.Q(scrub_rate__lte=100), name="sourcecampaign_scrub_rate_le_100"
            ),
            models.CheckConstraint(
                condition=models.Q(cost__gte=0), name="sourcecampaign_cost_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"source {self.source_id} → campaign {self.campaign_id}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Nothing to send"
    # A returned contact's email goes out in the source's next returns digest (its `digest`).
    DIGEST = "digest", "In the email digest"


class NoticeType(models.TextChoices):
    API_CHANGED = "source_api_changed", "The source's API changed"
    CONTACT_RETURNED = "contact_returned", "A buyer returned one of its contacts"
    RETURNS_DIGEST = "contact_returns_digest", "An email digest of its returned contacts"


class ApiChangeManager(models.Manager["SourceChange"]):
    """The default manager, and so `source.changes`: API changes only (the changelog and the
    docs page's version count); `SourceChange.notices` reaches every notice."""

    def get_queryset(self) -> models.QuerySet[SourceChange]:
        return super().get_queryset().filter(event_type=NoticeType.API_CHANGED)


class SourceChange(models.Model):
    """One notice to a source's partner: a change set to what it can post (one edit, one row,
    one notification), a returned contact (DESIGN §14: its webhook at once, its email in the
    next digest), or a digest of returned contacts (email only). All travel the same channel.

    The row is the truth for the notification: its statuses say what still has to be sent.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(
        max_length=32, choices=NoticeType.choices, default=NoticeType.API_CHANGED
    )
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="changes")
    # [{"kind": "campaign_added", "campaign_id": 3, "field": "", "text": "…"}, …]
    lines = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    email_status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    email_sent_at = models.DateTimeField(null=True, blank=True)
    webhook_status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    webhook_sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the notification is next due; null once nothing is left to send. A worker claims a row
    # by moving this forward with a conditional UPDATE, so two workers never send it twice.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # A returned contact's notice: the digest row whose email lists it (null: not yet in one).
    digest = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="digested"
    )

    notices = models.Manager()
    objects = ApiChangeManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "notices"
        default_manager_name = "objects"
        indexes = [
            models.Index(fields=["source", "-created_at"], name="sourcechange_source_recent"),
            models.Index(
                fields=["next_attempt_at"],
                name="sourcechange_due",
                condition=models.Q(next_attempt_at__isnull=False),
            ),
            # The returns still waiting for their source's email digest (the beat task's scan).
            models.Index(
                fields=["source"],
                name="sourcechange_digest_waiting",
                condition=models.Q(email_status="digest", digest__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"change {self.pk} to source {self.source_id}"

    @property
    def diff(self) -> str:
        """The human-readable diff: one line per change."""
        return "\n".join(str(line.get("text", "")) for line in self.lines)
