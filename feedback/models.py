"""Buyer feedback (DESIGN §14): campaigns' return settings, returns and conversions.

Feedback sits above ingest: it links to contacts, campaigns, sources and endpoints; nothing
below links to it (a campaign's return settings live here, one row per campaign, made lazily).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateparse import parse_duration

DEFAULT_WINDOW = "P7D"
DEFAULT_REASONS = [
    "disconnected",
    "wrong_number",
    "duplicate",
    "fraud",
    "not_interested",
    "other",
]


def default_reasons() -> list[str]:
    return list(DEFAULT_REASONS)


def window_parse(value: str) -> timedelta | None:
    """An ISO 8601 duration (P7D, PT48H, P1DT12H) as a timedelta; empty: no returns (None).

    Months and years are refused: their length depends on the date."""
    text = (value or "").strip().upper()
    if not text:
        return None
    parsed = parse_duration(text) if text.startswith("P") else None
    if parsed is None or parsed <= timedelta(0):
        raise ValueError(
            f"'{text}' is not a positive ISO 8601 duration in days, hours or minutes, such as "
            "P7D, PT48H or P1DT12H (leave empty to take no returns)."
        )
    return parsed


def validate_window(value: str) -> None:
    try:
        window_parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def validate_reasons(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(r, str) and r.strip() for r in value):
        raise ValidationError("A list of reason codes (non-empty text), such as ['fraud'].")
    if len(set(value)) != len(value):
        raise ValidationError("Each reason once.")


class ReviewPolicy(models.TextChoices):
    APPROVE = "approve", "Approve at once"
    REVIEW = "review", "Hold for a marketer's review"


class ReturnPolicy(models.Model):
    """A campaign's return settings; a campaign without a row has the defaults."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="return_policy"
    )
    window = models.CharField(
        max_length=32,
        blank=True,
        default=DEFAULT_WINDOW,
        validators=[validate_window],
        help_text="How long after acceptance a buyer may return a contact (ISO 8601: P7D, "
        "PT48H). Empty: this campaign takes no returns.",
    )
    reasons = models.JSONField(
        default=default_reasons,
        validators=[validate_reasons],
        help_text="The reason codes a buyer may give.",
    )
    review = models.CharField(
        "policy", max_length=16, choices=ReviewPolicy.choices, default=ReviewPolicy.APPROVE
    )

    class Meta:
        verbose_name = "return settings"
        verbose_name_plural = "return settings"

    def __str__(self) -> str:
        return f"return settings of campaign {self.campaign_id}"

    @property
    def window_delta(self) -> timedelta | None:
        return window_parse(self.window)

    def clean(self) -> None:
        self.window = (self.window or "").strip().upper()
        if isinstance(self.reasons, list):
            self.reasons = [str(r).strip() for r in self.reasons]


class ReturnStatus(models.TextChoices):
    APPROVED = "approved", "Approved"
    PENDING = "pending", "Waiting for review"
    REJECTED = "rejected", "Rejected"


class ContactReturn(models.Model):
    """A buyer's return of one contact: at most one per contact (the unique key, not a check)."""

    contact = models.OneToOneField(
        "ingest.Contact", on_delete=models.CASCADE, related_name="feedback_return"
    )
    # Copied from the contact so source quality reads one table.
    source = models.ForeignKey("sources.Source", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    contact_created_at = models.DateTimeField()
    reason = models.CharField(max_length=64)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=ReturnStatus.choices)
    rejection_reason = models.CharField(max_length=500, blank=True)
    endpoint = models.ForeignKey(
        "subscriptions.CallbackEndpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The CRM that returned it (by its API key).",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The marketer who returned it.",
    )
    created_at = models.DateTimeField(db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["source", "contact_created_at"], name="return_source_time_idx"),
            models.Index(fields=["status", "created_at"], name="return_status_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=ReturnStatus.REJECTED) | models.Q(rejection_reason=""),
                name="return_rejection_reason_only_when_rejected",
            ),
        ]

    def __str__(self) -> str:
        return f"return of contact {self.contact_id} ({self.status})"


class Conversion(models.Model):
    """A buyer's word that a contact converted: feedback, not money (the ledger never sees it).

    One per contact; a later report replaces the earlier."""

    contact = models.OneToOneField(
        "ingest.Contact", on_delete=models.CASCADE, related_name="feedback_conversion"
    )
    source = models.ForeignKey("sources.Source", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    contact_created_at = models.DateTimeField()
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    endpoint = models.ForeignKey(
        "subscriptions.CallbackEndpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(
                fields=["source", "contact_created_at"], name="conversion_source_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"conversion of contact {self.contact_id}"
