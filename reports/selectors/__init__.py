"""Reads for the reports: chart and total aggregates, the timeline."""

from __future__ import annotations

from reports.selectors.quality import (
    CONVERSION_RATE,
    RETURN_RATE,
    quality_rates,
    returns_by_reason,
)
from reports.selectors.stats import (
    Agg,
    Bucket,
    Series,
    StatsRange,
    Totals,
    aggregate,
    counted_events,
    day_start,
    intake_by_group,
    intake_by_status,
    intake_totals,
    local_midnight,
    money_by_bucket,
    rolled_until,
    source_today_totals,
)
from reports.selectors.timeline import (
    Cursor,
    TimelineFilter,
    text_condition,
    timeline_chunks,
    timeline_events,
    timeline_page,
)

__all__ = [
    "CONVERSION_RATE",
    "RETURN_RATE",
    "Agg",
    "Bucket",
    "Cursor",
    "Series",
    "StatsRange",
    "TimelineFilter",
    "Totals",
    "aggregate",
    "counted_events",
    "day_start",
    "intake_by_group",
    "intake_by_status",
    "intake_totals",
    "local_midnight",
    "money_by_bucket",
    "quality_rates",
    "returns_by_reason",
    "rolled_until",
    "source_today_totals",
    "text_condition",
    "timeline_chunks",
    "timeline_events",
    "timeline_page",
]
