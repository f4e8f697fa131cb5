"""The source-quality tables of the admin: per source + campaign on the source and campaign
pages, the sources by return rate on the dashboard. The pages' upper apps include them (with
their charts: backoffice, reports), over the range the page chose."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone

from feedback.quality import source_quality

register = template.Library()

QUALITY_DAYS = 30
DASHBOARD_ROWS = 10


def _range(start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """The range's bounds and how to name it: given (the page's), or the last 30 days."""
    if start is None or end is None:
        end = timezone.now()
        return {"start": end - timedelta(days=QUALITY_DAYS), "end": end, "days": QUALITY_DAYS}
    return {
        "start": start,
        "end": end,
        "first_day": timezone.localtime(start).date(),
        # The range ends at the midnight after its last day.
        "last_day": timezone.localtime(end - timedelta(microseconds=1)).date(),
    }


@register.inclusion_tag("admin/feedback/quality_table.html")
def return_quality(
    *,
    source: int | None = None,
    campaign: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """Per source + campaign, the contacts accepted in the range: returns and conversions (the
    same figures as the API's source quality)."""
    span = _range(start, end)
    rows = source_quality(
        start=span["start"],
        end=span["end"],
        by_campaign=True,
        source_id=source,
        campaign_id=campaign,
    )
    return {**span, "rows": rows, "source": source, "campaign": campaign}


@register.inclusion_tag("admin/feedback/quality_table.html")
def worst_sources(*, start: datetime | None = None, end: datetime | None = None) -> dict[str, Any]:
    """The dashboard's table: the sources with the highest return rate over the range."""
    span = _range(start, end)
    rows = source_quality(start=span["start"], end=span["end"])
    rows.sort(key=lambda row: (-row.return_rate, -row.returned, row.source))
    return {**span, "rows": rows[:DASHBOARD_ROWS], "dashboard": True}
