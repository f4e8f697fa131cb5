"""Reads over intake events for charts and totals: chart series, totals, the "today" columns.

Every figure is a GROUP BY in the database over the hourly rollup (IntakeStatHour, kept by
reports.stats_rollup) up to its watermark plus the raw events after it, on indexed columns;
Python only loops over the groups it returns, never over event rows, so the charts stay fast
with millions of events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from campaigns.models import Campaign
from ingest.models import IntakeEvent, IntakeStatus
from reports.models import IntakeStatHour, IntakeStatRollup
from sources.models import Source

Bucket = Literal["hour", "day"]
# A chart shows at most this many series; smaller campaigns or sources fold into "Other".
MAX_SERIES = 8
OTHER_LABEL = "Other"
ROLLUP_NAME = "hourly"
ZERO = Decimal("0")


@dataclass(frozen=True)
class StatsRange:
    """Which events a chart or a total covers: [start, end) in buckets, optionally narrowed."""

    start: datetime
    end: datetime
    bucket: Bucket = "day"
    source_id: int | None = None
    campaign_id: int | None = None

    def bucket_starts(self) -> list[datetime]:
        """The start of every bucket in the range, in the site's timezone (as TruncDay/Hour)."""
        tz = timezone.get_current_timezone()
        local_start = timezone.localtime(self.start, tz)
        if self.bucket == "day":
            # Calendar days, so a DST change (a 23- or 25-hour day) still starts at midnight.
            day, starts = local_start.date(), []
            while (midnight := day_start(day)) < self.end:
                starts.append(midnight)
                day += timedelta(days=1)
            return starts
        current = local_start.replace(minute=0, second=0, microsecond=0)
        starts = []
        while current < self.end:
            starts.append(current)
            current = timezone.localtime(current + timedelta(hours=1), tz)
        return starts


@dataclass
class Series:
    """Dense chart data: one value per bucket for each named series, in display order."""

    labels: list[datetime]
    datasets: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Totals:
    accepted: int = 0
    rejected: int = 0
    cost: Decimal = ZERO
    revenue: Decimal = ZERO

    @property
    def total(self) -> int:
        return self.accepted + self.rejected

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


def counted_events() -> QuerySet[IntakeEvent]:
    """Events that count in stats: test posts and idempotent replays changed nothing."""
    return IntakeEvent.objects.filter(is_test=False, replay_of__isnull=True)


@dataclass
class Agg:
    events: int = 0
    cost: Decimal = ZERO
    revenue: Decimal = ZERO


def rolled_until() -> datetime | None:
    """The rollup's watermark: IntakeStatHour holds every counted event before it."""
    return (
        IntakeStatRollup.objects.filter(name=ROLLUP_NAME)
        .values_list("rolled_until", flat=True)
        .first()
    )


def _split(r: StatsRange) -> datetime:
    """Where the range moves from the hourly rollup to raw events.

    Rollup rows are whole UTC hours: they serve a range that starts on one (every range here
    starts at a local midnight, which is one in any whole-hour timezone), up to the watermark.
    """
    watermark = rolled_until()
    if watermark is None or r.start != _utc_hour(r.start):
        return r.start
    if watermark < r.end:
        return max(watermark, r.start)  # the newest hour's rows stop at the watermark
    # The range ends before the watermark: whole hours only (a row runs to its hour's end).
    return max(_utc_hour(r.end), r.start)


def _utc_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _narrow(qs: QuerySet[Any], r: StatsRange, status: str | None) -> QuerySet[Any]:
    if r.source_id is not None:
        qs = qs.filter(source_id=r.source_id)
    if r.campaign_id is not None:
        qs = qs.filter(campaign_id=r.campaign_id)
    if status is not None:
        qs = qs.filter(status=status)
    return qs


def aggregate(
    r: StatsRange, keys: tuple[str, ...], *, status: str | None = None, bucketed: bool = True
) -> dict[tuple[Any, ...], Agg]:
    """Events, cost and revenue per (bucket, *keys): hourly rollup rows up to the watermark
    plus raw events after it (two GROUP BY queries; neither scans the whole log)."""
    tz = timezone.get_current_timezone()
    trunc = TruncHour if r.bucket == "hour" else TruncDay
    split = _split(r)
    parts: list[tuple[QuerySet[Any], Any]] = []
    if split > r.start:
        rolled = IntakeStatHour.objects.filter(hour__gte=r.start, hour__lt=split)
        parts.append((_narrow(rolled, r, status), (trunc("hour", tzinfo=tz), Sum("events"))))
    if split < r.end:
        live = counted_events().filter(created_at__gte=split, created_at__lt=r.end)
        parts.append((_narrow(live, r, status), (trunc("created_at", tzinfo=tz), Count("id"))))
    result: dict[tuple[Any, ...], Agg] = {}
    for qs, (bucket, events) in parts:
        grouped = qs.annotate(b=bucket) if bucketed else qs
        fields = ("b", *keys) if bucketed else keys
        rows = grouped.values(*fields).annotate(
            n=events, cost_sum=Sum("cost"), revenue_sum=Sum("revenue")
        )
        for row in rows.order_by():
            agg = result.setdefault(tuple(row[f] for f in fields), Agg())
            agg.events += row["n"] or 0
            agg.cost += row["cost_sum"] or ZERO
            agg.revenue += row["revenue_sum"] or ZERO
    return result


def intake_by_status(r: StatsRange) -> Series:
    """Intake counts per bucket, one series per status that occurred (in the statuses' order)."""
    grid: dict[str, dict[datetime, int]] = {}
    for (bucket, status), agg in aggregate(r, ("status",)).items():
        grid.setdefault(status, {})[bucket] = agg.events
    labels = r.bucket_starts()
    series = Series(labels=labels)
    for status in IntakeStatus.values:
        if status in grid:
            series.datasets[str(IntakeStatus(status).label)] = [
                grid[status].get(b, 0) for b in labels
            ]
    return series


def intake_by_group(
    r: StatsRange, *, by: Literal["campaign", "source"], status: str = IntakeStatus.ACCEPTED
) -> Series:
    """Counts of one status per bucket, one series per campaign (or source), biggest first."""
    grid: dict[int | None, dict[datetime, int]] = {}
    for (bucket, key), agg in aggregate(r, (f"{by}_id",), status=status).items():
        grid.setdefault(key, {})[bucket] = agg.events
    ranked = sorted(grid, key=lambda key: -sum(grid[key].values()))
    shown, folded = ranked[:MAX_SERIES], ranked[MAX_SERIES:]
    names = _names(by, [key for key in shown if key is not None])
    labels = r.bucket_starts()
    series = Series(labels=labels)
    for key in shown:
        name = names.get(key, f"#{key}") if key is not None else f"No {by}"
        series.datasets[name] = [grid[key].get(b, 0) for b in labels]
    if folded:
        series.datasets[OTHER_LABEL] = [sum(grid[key].get(b, 0) for key in folded) for b in labels]
    return series


def _names(by: str, ids: list[int]) -> dict[int | None, str]:
    model: type[Source] | type[Campaign] = Campaign if by == "campaign" else Source
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))


def money_by_bucket(r: StatsRange) -> Series:
    """Cost, revenue and margin of accepted intake per bucket (amounts as rounded floats)."""
    by_bucket = {
        bucket: agg for (bucket,), agg in aggregate(r, (), status=IntakeStatus.ACCEPTED).items()
    }
    labels = r.bucket_starts()
    cost = [by_bucket.get(b, Agg()).cost for b in labels]
    revenue = [by_bucket.get(b, Agg()).revenue for b in labels]
    return Series(
        labels=labels,
        datasets={
            "Cost": [round(float(c), 2) for c in cost],
            "Revenue": [round(float(v), 2) for v in revenue],
            "Margin": [round(float(v - c), 2) for c, v in zip(cost, revenue, strict=True)],
        },
    )


def _totals(aggs: dict[tuple[Any, ...], Agg]) -> Totals:
    accepted, rejected, cost, revenue = 0, 0, ZERO, ZERO
    for key, agg in aggs.items():
        if key[-1] == IntakeStatus.ACCEPTED:
            accepted += agg.events
            cost, revenue = cost + agg.cost, revenue + agg.revenue
        else:
            rejected += agg.events
    return Totals(accepted=accepted, rejected=rejected, cost=cost, revenue=revenue)


def intake_totals(r: StatsRange) -> Totals:
    """Accepted and not-accepted counts, cost and revenue over the range (not bucketed)."""
    return _totals(aggregate(r, ("status",), bucketed=False))


def local_midnight(now: datetime | None = None) -> datetime:
    """Start of today in the site's timezone (TIME_ZONE): what "today" means in the admin."""
    return day_start(timezone.localtime(now or timezone.now()).date())


def source_today_totals(source_ids: list[int], *, now: datetime | None = None) -> dict[int, Totals]:
    """Today's totals for each of these sources (the source list's columns), in two queries."""
    if not source_ids:
        return {}
    moment = now or timezone.now()
    today = StatsRange(start=local_midnight(moment), end=moment + timedelta(microseconds=1))
    by_source: dict[int, dict[tuple[Any, ...], Agg]] = {}
    for (source_id, status), agg in aggregate(
        today,
        ("source_id", "status"),
        bucketed=False,
    ).items():
        if source_id in source_ids:
            by_source.setdefault(source_id, {})[(status,)] = agg
    return {pk: _totals(by_source.get(pk, {})) for pk in source_ids}
