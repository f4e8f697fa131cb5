"""Persons, their subscriptions to campaigns, and the CRM callbacks that announce them (§7)."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models

from contactsource.models import TimestampedModel
from contactsource.webhooks import (
    UnsafeTargetError,
    check_url,
    header_problem,
    webhook_secret_generate,
)


class OptOutReason(models.TextChoices):
    # The platform's (Vibes Catapult's) reasons, kept verbatim for receivers written for it.
    USER_OPT_OUT = "user_opt_out", "The person opted out"
    DISCONNECT = "disconnect", "The number was disconnected"
    LIST_ARCHIVED = "list_archived", "The subscription list was archived"
    BULK_OPT_OUT = "bulk_opt_out", "Bulk opt-out"
    FAILED_AT_CARRIER = "failed_at_carrier", "Failed at the carrier"
    OBSOLETE_CARRIER = "obsolete_carrier", "Obsolete carrier"


class EventType(models.TextChoices):
    SUBSCRIPTION_ADDED = "subscription_added", "Subscription added"
    SUBSCRIPTION_REMOVED = "subscription_removed", "Subscription removed"


def all_event_types() -> list[str]:
    return [choice.value for choice in EventType]


class Person(TimestampedModel):
    """A deduplicated individual: merged by mobile phone (E.164), then by email."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # NULL (not "") when unknown, so the unique indexes ignore persons without one and the
    # intake's INSERT … ON CONFLICT (mobile_phone) can infer the index.
    external_id = models.CharField(
        max_length=255,
        null=True,
        blank=True,
        unique=True,
        help_text="The CRM's own identifier for this person.",
    )
    mobile_phone = models.CharField(
        "mobile phone (E.164)", max_length=32, null=True, blank=True, unique=True
    )
    email = models.CharField(max_length=320, blank=True, db_index=True)
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("use_person_api", "Can use the person API (CRMs)")]

    def __str__(self) -> str:
        return f"person {self.public_id}"


class Subscription(TimestampedModel):
    """A person on a campaign's list (Catapult's "subscription list"), until an opt-out."""

    # Indexed by subscription_unique, which leads with it.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="subscriptions", db_index=False
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="subscriptions"
    )
    acquisition_source = models.ForeignKey(
        "sources.Source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscriptions",
    )
    # The contact that (last) brought the person in; a plain id: subscriptions never import ingest.
    contact_id = models.BigIntegerField(null=True, blank=True)
    opt_in_date = models.DateTimeField()
    opt_out_date = models.DateTimeField(null=True, blank=True)
    opt_out_reason = models.CharField(max_length=32, choices=OptOutReason.choices, blank=True)

    class Meta:
        ordering = ["-opt_in_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "campaign"], name="subscription_unique"),
        ]

    def __str__(self) -> str:
        return f"subscription {self.person_id} → campaign {self.campaign_id}"

    @property
    def is_active(self) -> bool:
        return self.opt_out_date is None


class CallbackEndpoint(TimestampedModel):
    """A CRM URL that receives signed subscription callbacks."""

    name = models.CharField(max_length=200)
    url = models.URLField("URL", max_length=2000)
    secret = models.CharField(
        "signing secret",
        max_length=100,
        default=webhook_secret_generate,
        help_text="Give it to the CRM: it verifies the webhook-signature header with it.",
    )
    event_types = models.JSONField(
        default=all_event_types, help_text="The events this endpoint receives."
    )
    campaigns = models.ManyToManyField(
        "campaigns.Campaign",
        blank=True,
        related_name="callback_endpoints",
        help_text="Only these campaigns' events; none means every campaign.",
    )
    is_active = models.BooleanField("active", default=True)
    is_primary = models.BooleanField(
        "primary for real-time",
        default=False,
        help_text="Decides real-time campaigns' contacts synchronously (see docs/callbacks.md).",
    )
    headers = models.JSONField(
        "custom headers",
        default=dict,
        blank=True,
        help_text='Extra request headers as a JSON object, e.g. {"X-Api-Key": "…"}.',
    )
    api_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Failure tracking for the automatic disable (Svix's rule, §7).
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(
        "disabled automatically at", null=True, blank=True, editable=False
    )
    disabled_reason = models.CharField(max_length=255, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        # Whoever knows the secret can forge callbacks to the CRM: kept from the marketer group.
        permissions = [
            ("manage_endpoint_secret", "Can see and change callback endpoints' signing secrets")
        ]
        indexes = [
            models.Index(
                fields=["api_key_hash"],
                name="endpoint_api_key_idx",
                condition=~models.Q(api_key_hash=""),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def auto_disabled(self) -> bool:
        return not self.is_active and self.disabled_at is not None

    def clean(self) -> None:
        problems: dict[str, str] = {}
        types = self.event_types
        if not isinstance(types, list) or not types or not set(types) <= set(all_event_types()):
            problems["event_types"] = f"Choose one or more of: {', '.join(all_event_types())}."
        if problem := header_problem(self.headers or {}):
            problems["headers"] = problem
        try:
            if self.url:
                check_url(self.url)
        except UnsafeTargetError as exc:
            problems["url"] = str(exc)
        if problems:
            raise ValidationError(problems)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead"


class CallbackDelivery(models.Model):
    """The outbox: one row per event per endpoint, written in the event's own transaction.

    The row, not the broker, is the truth. A worker claims it with a conditional UPDATE that
    pushes `next_attempt_at` a lease ahead, so a killed worker's row falls due again, and the
    beat sweeper re-enqueues due rows whose task was lost.
    """

    # Indexed by delivery_endpoint_status_idx, which leads with it.
    endpoint = models.ForeignKey(
        CallbackEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Shared by every endpoint's copy of one event, stable across retries: receivers dedupe on it.
    # Indexed by delivery_event_endpoint_unique, which leads with it.
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    event_date = models.DateTimeField()
    # The body's "subscription" object as it was when the event happened.
    payload = models.JSONField()
    contact_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    retry_until = models.DateTimeField()
    # When a task was last sent to the broker for it; NULL once a worker claimed it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "callback deliveries"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "endpoint"], name="delivery_event_endpoint_unique"
            ),
        ]
        indexes = [
            # The sweeper's scan: only pending rows, by due time.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "status"], name="delivery_endpoint_status_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.event_type}, {self.status})"
