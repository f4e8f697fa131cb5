"""Template tags for the marketer's panels on the admin's source and campaign pages."""

from __future__ import annotations

from typing import Any

from django import template

from finance.admin_views import cap_rows
from reports.admin_views.dashboard import chart_context

register = template.Library()

SOURCE_CHARTS = [
    ("Intake by status", "status"),
    ("Accepted by campaign", "campaign"),
    ("Cost, revenue and margin", "money"),
]
CAMPAIGN_CHARTS = [
    ("Intake by status", "status"),
    ("Accepted by source", "source"),
    ("Cost, revenue and margin", "money"),
]


@register.inclusion_tag("admin/cs/charts.html", takes_context=True)
def intake_charts(
    context: dict[str, Any], *, source: int | None = None, campaign: int | None = None
) -> dict[str, Any]:
    """The range form and charts of one source or one campaign (they read the page's GET)."""
    charts = CAMPAIGN_CHARTS if campaign is not None else SOURCE_CHARTS
    return chart_context(context["request"], charts, source_id=source, campaign_id=campaign)


@register.inclusion_tag("admin/cs/caps_table.html")
def caps_table(*, source: int | None = None, campaign: int | None = None) -> dict[str, Any]:
    return {"rows": cap_rows(source_id=source, campaign_id=campaign)}
