"""The marketer's dashboard: totals, charts over a chosen range, and links to the other pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from finance.admin_views import VIEW_PERMISSION as CAPS_PERMISSION
from finance.admin_views import cap_rows
from reports.admin_views.charts import QUALITY_PERMISSION, VIEW_PERMISSION, ChartRangeForm
from reports.selectors import StatsRange, intake_totals, local_midnight

DASHBOARD_CAPS = 5


QUALITY_CHARTS = [
    ("Return and conversion rates", "rates"),
    ("Returns by reason", "reasons"),
]


def chart_links(
    stats_range: StatsRange, charts: list[tuple[str, str]], *, endpoint: str = "admin:chart-intake"
) -> list[dict[str, str]]:
    """Each chart's title, kind and data URL (`endpoint` with the range's parameters)."""
    first_day, last_day = range_days(stats_range)
    params = {
        "start": first_day.isoformat(),
        "end": last_day.isoformat(),
        "bucket": stats_range.bucket,
    }
    if stats_range.source_id is not None:
        params["source"] = str(stats_range.source_id)
    if stats_range.campaign_id is not None:
        params["campaign"] = str(stats_range.campaign_id)
    url = reverse(endpoint)
    return [
        {"title": title, "by": by, "url": f"{url}?{urlencode({**params, 'by': by})}"}
        for title, by in charts
    ]


def range_days(stats_range: StatsRange) -> tuple[date, date]:
    """The first and last day the range covers (it ends at the midnight after the last)."""
    first_day = timezone.localtime(stats_range.start).date()
    last_day = (timezone.localtime(stats_range.end) - timedelta(days=1)).date()
    return first_day, last_day


def chart_context(
    request: HttpRequest,
    charts: list[tuple[str, str]],
    *,
    source_id: int | None = None,
    campaign_id: int | None = None,
    endpoint: str = "admin:chart-intake",
) -> dict[str, Any]:
    """What `admin/cs/charts.html` needs: the range form and each chart's data URL."""
    stats_range = ChartRangeForm(request.GET).stats_range(
        source_id=source_id, campaign_id=campaign_id
    )
    first_day, last_day = range_days(stats_range)
    # Bound to the effective values, so the form shows the range the charts really cover.
    form = ChartRangeForm(
        {
            "start": first_day.isoformat(),
            "end": last_day.isoformat(),
            "bucket": request.GET.get("bucket", ""),
        }
    )
    return {
        "chart_form": form,
        "chart_range": stats_range,
        "chart_first_day": first_day,
        "chart_last_day": last_day,
        "time_zone": timezone.get_current_timezone_name(),
        "charts": chart_links(stats_range, charts, endpoint=endpoint),
    }


def dashboard_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    context = chart_context(
        request,
        [
            ("Intake by status", "status"),
            ("Accepted by campaign", "campaign"),
            ("Accepted by source", "source"),
            ("Cost, revenue and margin", "money"),
        ],
    )
    stats_range: StatsRange = context["chart_range"]
    today = StatsRange(start=local_midnight(), end=timezone.now() + timedelta(seconds=1))
    can_see_caps = request.user.has_perm(CAPS_PERMISSION)
    if request.user.has_perm(QUALITY_PERMISSION):
        context["quality_charts"] = chart_links(
            stats_range, QUALITY_CHARTS, endpoint="admin:chart-quality"
        )
    context.update(
        admin.site.each_context(request),
        cap_rows=cap_rows(worst_first=True)[:DASHBOARD_CAPS] if can_see_caps else None,
        title="Dashboard",
        range_totals=intake_totals(stats_range),
        today_totals=intake_totals(today),
    )
    return TemplateResponse(request, "admin/cs/dashboard.html", context)
