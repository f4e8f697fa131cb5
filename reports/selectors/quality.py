"""Chart series of source quality: feedback's figures per hour or day of the contacts'
acceptance (feedback.quality), laid out on the range's buckets like the intake charts."""

from __future__ import annotations

from datetime import datetime

from feedback.quality import BucketQuality, quality_by_bucket
from reports.selectors.stats import MAX_SERIES, OTHER_LABEL, Series, StatsRange

RETURN_RATE = "Return rate (%)"
CONVERSION_RATE = "Conversion rate (%)"


def _buckets(r: StatsRange) -> dict[datetime, BucketQuality]:
    return quality_by_bucket(
        start=r.start,
        end=r.end,
        bucket=r.bucket,
        source_id=r.source_id,
        campaign_id=r.campaign_id,
    )


def _percent(part: int, whole: int) -> float | None:
    """A rate in percent; None (a gap in the line) for a bucket without accepted contacts."""
    return round(100 * part / whole, 1) if whole else None


def quality_rates(r: StatsRange) -> Series:
    """Return rate and conversion rate of the contacts accepted in each bucket, in percent."""
    buckets = _buckets(r)
    labels = r.bucket_starts()
    empty = BucketQuality()
    rows = [buckets.get(label, empty) for label in labels]
    return Series(
        labels=labels,
        datasets={
            RETURN_RATE: [_percent(row.returned, row.accepted) for row in rows],
            CONVERSION_RATE: [_percent(row.converted, row.accepted) for row in rows],
        },
    )


def returns_by_reason(r: StatsRange) -> Series:
    """Approved returns per bucket of their contacts' acceptance, one series per reason (the
    most frequent first; past eight, the rest fold into "Other")."""
    buckets = _buckets(r)
    totals: dict[str, int] = {}
    for row in buckets.values():
        for reason, n in row.reasons.items():
            totals[reason] = totals.get(reason, 0) + n
    ranked = sorted(totals, key=lambda reason: (-totals[reason], reason))
    shown, folded = ranked[:MAX_SERIES], ranked[MAX_SERIES:]
    labels = r.bucket_starts()
    empty = BucketQuality()
    rows = [buckets.get(label, empty) for label in labels]
    series = Series(labels=labels)
    for reason in shown:
        series.datasets[reason] = [row.reasons.get(reason, 0) for row in rows]
    if folded:
        series.datasets[OTHER_LABEL] = [
            sum(row.reasons.get(reason, 0) for reason in folded) for row in rows
        ]
    return series
