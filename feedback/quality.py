"""Source quality (DESIGN §14): return rate, reasons and conversion rate per source, or per
source + campaign, for the contacts accepted in a range; and the same per hour or day of their
acceptance, for the admin's charts. Three GROUP BYs each, merged in Python."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from feedback.models import ContactReturn, Conversion, ReturnStatus
from ingest.models import Contact, ContactStatus
from sources.models import Source


@dataclass
class QualityRow:
    source: int
    campaign: int | None
    source_name: str = ""
    accepted: int = 0
    returned: int = 0
    pending: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    converted: int = 0
    conversion_value: Decimal = Decimal("0")

    @property
    def return_rate(self) -> float:
        return round(self.returned / self.accepted, 4) if self.accepted else 0.0

    @property
    def conversion_rate(self) -> float:
        return round(self.converted / self.accepted, 4) if self.accepted else 0.0


QUALITY_CSV_HEADER = [
    "source",
    "source_name",
    "campaign",
    "accepted",
    "returned",
    "pending",
    "return_rate",
    "reasons",
    "converted",
    "conversion_rate",
    "conversion_value",
]


def quality_csv_row(row: QualityRow) -> list[Any]:
    reasons = "; ".join(f"{reason}={n}" for reason, n in row.reasons.items())
    return [
        row.source,
        row.source_name,
        "" if row.campaign is None else row.campaign,
        row.accepted,
        row.returned,
        row.pending,
        row.return_rate,
        reasons,
        row.converted,
        row.conversion_rate,
        row.conversion_value,
    ]


def source_quality(
    *,
    start: datetime,
    end: datetime,
    by_campaign: bool = False,
    source_id: int | None = None,
    campaign_id: int | None = None,
) -> list[QualityRow]:
    """Rows for contacts accepted in [start, end), ordered by source (then campaign)."""
    keys = ["source_id", "campaign_id"] if by_campaign else ["source_id"]
    where = _narrowed(source_id, campaign_id)
    rows: dict[tuple[int, int | None], QualityRow] = {}

    def row(values: dict[str, Any]) -> QualityRow:
        key = (values["source_id"], values.get("campaign_id"))
        if key not in rows:
            rows[key] = QualityRow(source=key[0], campaign=key[1])
        return rows[key]

    accepted = (
        Contact.objects.filter(where, status=ContactStatus.ACCEPTED)
        .filter(created_at__gte=start, created_at__lt=end)
        .values(*keys)
        .annotate(n=Count("pk"))
        .order_by()
    )
    for values in accepted:
        row(values).accepted = values["n"]
    returns = (
        ContactReturn.objects.filter(where)
        .filter(contact_created_at__gte=start, contact_created_at__lt=end)
        .values(*keys, "status", "reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    reasons: dict[tuple[int, int | None], dict[str, int]] = defaultdict(dict)
    for values in returns:
        target = row(values)
        if values["status"] == ReturnStatus.APPROVED:
            target.returned += values["n"]
            reasons[(target.source, target.campaign)][values["reason"]] = values["n"]
        elif values["status"] == ReturnStatus.PENDING:
            target.pending += values["n"]
    conversions = (
        Conversion.objects.filter(where)
        .filter(contact_created_at__gte=start, contact_created_at__lt=end)
        .values(*keys)
        .annotate(n=Count("pk"), total=Sum("value"))
        .order_by()
    )
    for values in conversions:
        target = row(values)
        target.converted = values["n"]
        target.conversion_value = values["total"] or Decimal("0")
    names = dict(Source.objects.filter(pk__in={k[0] for k in rows}).values_list("pk", "name"))
    for key, target in rows.items():
        target.source_name = names.get(key[0], "")
        target.reasons = dict(sorted(reasons[key].items(), key=lambda item: (-item[1], item[0])))
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1] or 0))]


def _narrowed(source_id: int | None, campaign_id: int | None) -> Q:
    where = Q()
    if source_id is not None:
        where &= Q(source_id=source_id)
    if campaign_id is not None:
        where &= Q(campaign_id=campaign_id)
    return where


@dataclass
class BucketQuality:
    """One hour or day of acceptance: its contacts, their approved returns and conversions."""

    accepted: int = 0
    returned: int = 0
    converted: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def quality_by_bucket(
    *,
    start: datetime,
    end: datetime,
    bucket: Literal["hour", "day"],
    source_id: int | None = None,
    campaign_id: int | None = None,
) -> dict[datetime, BucketQuality]:
    """Per hour or day (in the site's timezone, as the intake charts) of the contacts accepted
    in [start, end): how many, their approved returns by reason, their conversions. Returns and
    conversions fall in their contact's bucket, so each bucket's rates compare like with like
    and the buckets add up to `source_quality` over the same range."""
    trunc = TruncHour if bucket == "hour" else TruncDay
    tz = timezone.get_current_timezone()
    where = _narrowed(source_id, campaign_id)
    buckets: dict[datetime, BucketQuality] = defaultdict(BucketQuality)

    def counted(queryset: QuerySet[Any], field: str, *keys: str) -> QuerySet[Any]:
        return (
            queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})
            .annotate(b=trunc(field, tzinfo=tz))
            .values("b", *keys)
            .annotate(n=Count("pk"))
            .order_by()
        )

    accepted = Contact.objects.filter(where, status=ContactStatus.ACCEPTED)
    for values in counted(accepted, "created_at"):
        buckets[values["b"]].accepted = values["n"]
    returns = ContactReturn.objects.filter(where, status=ReturnStatus.APPROVED)
    for values in counted(returns, "contact_created_at", "reason"):
        target = buckets[values["b"]]
        target.returned += values["n"]
        target.reasons[values["reason"]] = values["n"]
    for values in counted(Conversion.objects.filter(where), "contact_created_at"):
        buckets[values["b"]].converted = values["n"]
    return dict(buckets)
