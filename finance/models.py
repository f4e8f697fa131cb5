"""Caps and their counters, and the append-only money ledger."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from contactsource.models import TimestampedModel
from finance.windows import CalendarUnit, CapDuration, duration_parse


class CapKind(models.TextChoices):
    QUANTITY = "quantity", "Accepted contacts"
    BUDGET = "budget", "Budget (sum of cost)"


class CapScope(models.TextChoices):
    CAMPAIGN = "campaign", "Campaign"
    UTM_SOURCE = "utm_source", "Campaign + utm_source"


def validate_cap_duration(value: str) -> None:
    try:
        duration_parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


class Cap(TimestampedModel):
    """At most `limit` accepted contacts (or that much cost) per window, for one campaign.

    With a source: counts that source's contacts into the campaign (its whitelist entry); without:
    counts every source's contacts into the campaign.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="caps"
    )
    source = models.ForeignKey(
        "sources.Source",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="caps",
        help_text="Empty: the cap counts every source's contacts into the campaign together.",
    )
    kind = models.CharField(max_length=16, choices=CapKind.choices, default=CapKind.QUANTITY)
    limit = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        help_text="Contacts (a whole number), or money for a budget.",
    )
    scope = models.CharField(max_length=16, choices=CapScope.choices, default=CapScope.CAMPAIGN)
    utm_source = models.CharField(
        max_length=255,
        blank=True,
        help_text="With the utm_source scope: only contacts with this utm_source count and are "
        "limited.",
    )
    duration = models.CharField(
        max_length=32,
        default=CalendarUnit.DAY.value,
        validators=[validate_cap_duration],
        help_text="Rolling: an ISO 8601 duration such as PT1H, P1D, P7D. Calendar, in the "
        "campaign's timezone: day, week (from Monday), month or year.",
    )
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["campaign_id", "source_id", "id"]
        indexes = [
            # The intake's lookup: active caps of a campaign (then its source, or none).
            models.Index(fields=["campaign", "is_active"], name="cap_campaign_active_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(limit__gt=0), name="cap_limit_positive"),
            models.CheckConstraint(
                condition=models.Q(scope=CapScope.CAMPAIGN, utm_source="")
                | (models.Q(scope=CapScope.UTM_SOURCE) & ~models.Q(utm_source="")),
                name="cap_utm_source_matches_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"cap {self.pk}: {self.describe()}"

    @property
    def parsed_duration(self) -> CapDuration:
        return duration_parse(self.duration)

    def describe(self) -> str:
        """The cap in words, as a 429 names it: 'no more than 100 contacts per day for …'."""
        from finance.describe import cap_describe

        return cap_describe(self)

    def clean(self) -> None:
        problems: dict[str, str] = {}
        if self.limit is not None:
            if self.limit <= 0:
                problems["limit"] = "A cap must allow at least one contact (or some money)."
            elif self.kind == CapKind.QUANTITY and self.limit != self.limit.to_integral_value():
                problems["limit"] = "A quantity cap counts contacts: use a whole number."
        self.utm_source = (self.utm_source or "").strip()
        if self.scope == CapScope.UTM_SOURCE and not self.utm_source:
            problems["utm_source"] = "Name the utm_source this cap counts and limits."
        elif self.scope == CapScope.CAMPAIGN and self.utm_source:
            problems["utm_source"] = (
                "Leave empty for a campaign cap, or choose the utm_source scope."
            )
        try:
            self.duration = duration_parse(self.duration).text
        except ValueError as exc:
            problems["duration"] = str(exc)
        if problems:
            raise ValidationError(problems)


class CapCounter(models.Model):
    """What a cap has admitted in one window (calendar) or one bucket of a window (rolling).

    The intake adds to it with one conditional upsert; `limit` is the cap's limit at the last
    admission, so the row says on its own how full that window was.
    """

    # Indexed by capcounter_unique, which leads with it.
    cap = models.ForeignKey(Cap, on_delete=models.CASCADE, related_name="counters", db_index=False)
    window_start = models.DateTimeField()
    used = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    limit = models.DecimalField(max_digits=14, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cap", "window_start"], name="capcounter_unique"),
        ]

    def __str__(self) -> str:
        return f"cap {self.cap_id} @ {self.window_start:%Y-%m-%d %H:%M}: {self.used}"


class LedgerKind(models.TextChoices):
    COST = "cost", "Cost (paid to the source)"
    REVENUE = "revenue", "Revenue (from the campaign)"
    REVERSAL = "reversal", "Reversal"


class LedgerEntry(models.Model):
    """One money movement; rows are only ever appended (a reversal row corrects a charge)."""

    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    # Cost and revenue rows are >= 0; a reversal carries the negated amount of the row it reverses.
    amount = models.DecimalField(max_digits=14, decimal_places=4)
    # No index of their own: ledger_source_time_idx and ledger_campaign_time_idx lead with
    # them (a post writes two rows; each index is two more entries to write).
    source = models.ForeignKey(
        "sources.Source", on_delete=models.PROTECT, related_name="ledger_entries", db_index=False
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
    )
    # The contact charged: a plain id, as subscriptions keeps one; finance sits below ingest
    # (DESIGN §2) and never links to its tables. The column and its index are the former
    # foreign key's; ingest's admin still refuses to delete a contact the ledger names.
    contact_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    utm_source = models.CharField(max_length=255, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        help_text="The entry this reversal corrects (at most one reversal per entry).",
    )
    memo = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["source", "created_at"], name="ledger_source_time_idx"),
            models.Index(fields=["campaign", "created_at"], name="ledger_campaign_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind=LedgerKind.REVERSAL) & models.Q(reverses__isnull=False))
                | (
                    ~models.Q(kind=LedgerKind.REVERSAL)
                    & models.Q(reverses__isnull=True)
                    & models.Q(amount__gte=0)
                ),
                name="ledger_reversal_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} (contact {self.contact_id})"
