from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contactsource.models import PublishableModel, TimestampedModel
from contactsource.tokens import verbose_key_generate

DEFAULT_DUPLICATE_WINDOW = timedelta(days=30)


class Source(PublishableModel, TimestampedModel):
    name = models.CharField(max_length=200)
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
    notification_email = models.EmailField(blank=True)
    notification_url = models.URLField(blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


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
