"""The source-quality panel on the admin's source and campaign pages (added by feedback/admin.py
through the page-extras registry: sources and campaigns never reach up to feedback)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone

from feedback.quality import source_quality

register = template.Library()

QUALITY_DAYS = 30


@register.inclusion_tag("admin/feedback/quality_table.html")
def return_quality(*, source: int | None = None, campaign: int | None = None) -> dict[str, Any]:
    """Per source + campaign, the contacts accepted in the last 30 days: returns and
    conversions (the same figures as the API's source quality)."""
    end = timezone.now()
    rows = source_quality(
        start=end - timedelta(days=QUALITY_DAYS),
        end=end,
        by_campaign=True,
        source_id=source,
        campaign_id=campaign,
    )
    return {"rows": rows, "days": QUALITY_DAYS, "source": source, "campaign": campaign}


DASHBOARD_ROWS = 10


@register.inclusion_tag("admin/feedback/quality_table.html")
def worst_sources() -> dict[str, Any]:
    """The dashboard's panel: the sources with the highest return rate over the last 30 days."""
    end = timezone.now()
    rows = source_quality(start=end - timedelta(days=QUALITY_DAYS), end=end)
    rows.sort(key=lambda row: (-row.return_rate, -row.returned, row.source))
    return {"rows": rows[:DASHBOARD_ROWS], "days": QUALITY_DAYS, "dashboard": True}
