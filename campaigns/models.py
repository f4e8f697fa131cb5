from __future__ import annotations

from decimal import Decimal
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from campaigns.types import FieldType
from contactsource.models import PublishableModel, TimestampedModel


def validate_timezone(value: str) -> None:
    # A validator, not choices: the zone list changes with tzdata and would churn migrations.
    if value not in available_timezones():
        raise ValidationError(f"'{value}' is not an IANA timezone such as America/New_York.")


class Campaign(PublishableModel, TimestampedModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    revenue = models.DecimalField(
        "revenue per accepted contact",
        max_digits=12,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    phone_region = models.CharField(
        "default phone region",
        max_length=2,
        default="US",
        validators=[RegexValidator(r"^[A-Z]{2}$", "Use an ISO 3166-1 alpha-2 code such as US.")],
        help_text="Region used to read national phone numbers (ISO 3166-1 alpha-2, e.g. US).",
    )
    timezone = models.CharField(
        max_length=64,
        validators=[validate_timezone],
        default="UTC",
        help_text="Calendar caps (day, week, month, year) start at local midnight here.",
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CampaignField(TimestampedModel):
    """A field the campaign takes. Keys of standard contact columns override their defaults."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="fields")
    key = models.CharField(
        max_length=64,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9_]*$",
                "Use lower-case letters, digits and underscores, starting with a letter.",
            )
        ],
    )
    label = models.CharField(max_length=200, blank=True)
    type = models.CharField(max_length=16, choices=FieldType.choices, default=FieldType.TEXT)
    required = models.BooleanField(default=False)
    choices = models.JSONField(
        default=list,
        blank=True,
        help_text="Allowed values for select and multi-select fields, as a JSON list of strings.",
    )
    example = models.CharField(max_length=255, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="campaignfield_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.key}"

    def clean(self) -> None:
        from campaigns.fields import CONTROL_KEYS, STANDARD_FIELDS

        problems: dict[str, str] = {}
        base = STANDARD_FIELDS.get(self.key)
        if self.key in CONTROL_KEYS:
            problems["key"] = f"'{self.key}' is reserved by the intake and cannot be a field."
        elif base is not None and self.type != base.type:
            problems["type"] = (
                f"'{self.key}' is a standard field of type {base.type}; it keeps that type."
            )
        choices = self.choices or []
        if not isinstance(choices, list) or not all(isinstance(c, str) and c for c in choices):
            problems["choices"] = 'Choices must be a JSON list of non-empty strings: ["a", "b"].'
        elif self.type in (FieldType.SELECT, FieldType.MULTISELECT) and not choices:
            problems["choices"] = "A select or multi-select field needs at least one choice."
        if problems:
            raise ValidationError(problems)
