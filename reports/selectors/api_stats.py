"""The stats API's aggregate: intake counts and money grouped by time bucket and dimensions.

One GROUP BY query (plus one for the totals) over the indexed event columns: Python never loops
over event rows, only over the groups the database returns (bounded by `limit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Trunc

from ingest.models import IntakeEvent, IntakeStatus

Interval = Literal["hour", "day", "week", "month", "none"]
GROUPS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "source": ("source_id", "source__name"),
    "campaign": ("campaign_id", "campaign__name"),
}
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=4))


@dataclass(frozen=True)
class StatsQuery:
    start: datetime
    end: datetime
    interval: Interval = "day"
    group_by: tuple[str, ...] = ()
    tz: tzinfo | None = None
    source_id: int | None = None
    campaign_id: int | None = None
    status: str = ""


def _events(q: StatsQuery) -> QuerySet[IntakeEvent]:
    # Test posts and idempotent replays changed nothing, so they are not counted.
    qs = IntakeEvent.objects.filter(
        created_at__gte=q.start, created_at__lt=q.end, is_test=False, replay_of__isnull=True
    )
    if q.source_id is not None:
        qs = qs.filter(source_id=q.source_id)
    if q.campaign_id is not None:
        qs = qs.filter(campaign_id=q.campaign_id)
    if q.status:
        qs = qs.filter(status=q.status)
    return qs


def _measures() -> dict[str, Any]:
    return {
        "count": Count("id"),
        "accepted": Count("id", filter=Q(status=IntakeStatus.ACCEPTED)),
        "cost": Coalesce(Sum("cost"), ZERO),
        "revenue": Coalesce(Sum("revenue"), ZERO),
    }


def intake_stats(q: StatsQuery, *, limit: int = 5000) -> tuple[list[dict[str, Any]], bool]:
    """Rows of {bucket?, status?, source_id?, …, count, accepted, cost, revenue}, and whether
    more than `limit` groups exist (then the first `limit` are returned)."""
    qs = _events(q)
    keys: list[str] = []
    if q.interval != "none":
        qs = qs.annotate(bucket=Trunc("created_at", q.interval, tzinfo=q.tz))
        keys.append("bucket")
    for group in q.group_by:
        keys.extend(GROUPS[group])
    if not keys:
        return [intake_stats_totals(q)], False
    rows = list(qs.values(*keys).annotate(**_measures()).order_by(*keys)[: limit + 1])
    return rows[:limit], len(rows) > limit


def intake_stats_totals(q: StatsQuery) -> dict[str, Any]:
    return _events(q).aggregate(**_measures())
