"""Reads for the ingest app: chart and total aggregates, the timeline, CSV imports."""

from __future__ import annotations

from ingest.selectors.callbacks import delivery_status_counts, endpoints_with_counts
from ingest.selectors.imports import (
    contact_import_bytes,
    contact_import_problems,
    contact_import_progress,
    contact_imports_stalled,
)
from ingest.selectors.stats import (
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
from ingest.selectors.timeline import (
    Cursor,
    TimelineFilter,
    text_condition,
    timeline_chunks,
    timeline_events,
    timeline_page,
)

__all__ = [
    "Agg",
    "Bucket",
    "Cursor",
    "Series",
    "StatsRange",
    "TimelineFilter",
    "Totals",
    "aggregate",
    "contact_import_bytes",
    "contact_import_problems",
    "contact_import_progress",
    "contact_imports_stalled",
    "counted_events",
    "day_start",
    "delivery_status_counts",
    "endpoints_with_counts",
    "intake_by_group",
    "intake_by_status",
    "intake_totals",
    "local_midnight",
    "money_by_bucket",
    "rolled_until",
    "source_today_totals",
    "text_condition",
    "timeline_chunks",
    "timeline_events",
    "timeline_page",
]
