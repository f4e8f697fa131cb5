"""Template tags for the marketer's panels on the admin's source and campaign pages."""

from __future__ import annotations

from typing import Any

from django import template

from finance.admin_views import cap_rows
from reports.admin_views.dashboard import chart_context
from subscriptions.selectors import delivery_status_counts, endpoints_with_counts

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


@register.inclusion_tag("admin/cs/delivery_counts.html", takes_context=True)
def delivery_counts(context: dict[str, Any], *, endpoint: int | None = None) -> dict[str, Any]:
    """Deliveries per status, linked to the delivery log, for one endpoint (or every one)."""
    if endpoint is None:
        rows = endpoints_with_counts()
    else:
        rows = [(context["original"], delivery_status_counts(endpoint_ids=[endpoint])[endpoint])]
    return {
        "rows": rows,
        "single": endpoint is not None,
        "csrf_token": context.get("csrf_token"),
        "perms": context.get("perms"),
    }
