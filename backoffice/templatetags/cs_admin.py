"""Template tags for the marketer's panels on the admin's source and campaign pages."""

from __future__ import annotations

from typing import Any

from django import template

from finance.admin_views import cap_rows
from reports.admin_views.dashboard import QUALITY_CHARTS, chart_context

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


@register.inclusion_tag("admin/cs/quality_charts.html", takes_context=True)
def quality_charts(
    context: dict[str, Any], *, source: int | None = None, campaign: int | None = None
) -> dict[str, Any]:
    """Returns and conversions of one source or campaign over the page's range: the table and
    the charts. The range form and the chart scripts come with the Stats panel when the user
    sees it, else with this panel (`standalone`)."""
    request = context["request"]
    charts = chart_context(
        request,
        QUALITY_CHARTS,
        source_id=source,
        campaign_id=campaign,
        endpoint="admin:chart-quality",
    )
    standalone = not request.user.has_perm("ingest.view_intakeevent")
    return {**charts, "standalone": standalone, "source": source, "campaign": campaign}


@register.inclusion_tag("admin/cs/caps_table.html")
def caps_table(*, source: int | None = None, campaign: int | None = None) -> dict[str, Any]:
    return {"rows": cap_rows(source_id=source, campaign_id=campaign)}
