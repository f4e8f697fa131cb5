"""The marketer's dashboard: totals, charts over a chosen range, and links to the other pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from finance.admin_views import VIEW_PERMISSION as CAPS_PERMISSION
from finance.admin_views import cap_rows
from reports.admin_views.charts import VIEW_PERMISSION, ChartRangeForm
from reports.selectors import StatsRange, intake_totals, local_midnight

DASHBOARD_CAPS = 5


def chart_context(
    request: HttpRequest,
    charts: list[tuple[str, str]],
    *,
    source_id: int | None = None,
    campaign_id: int | None = None,
) -> dict[str, Any]:
    """What `admin/cs/charts.html` needs: the range form and each chart's data URL."""
    stats_range = ChartRangeForm(request.GET).stats_range(
        source_id=source_id, campaign_id=campaign_id
    )
    first_day = timezone.localtime(stats_range.start).date()
    last_day = (timezone.localtime(stats_range.end) - timedelta(days=1)).date()
    params = {
        "start": first_day.isoformat(),
        "end": last_day.isoformat(),
        "bucket": stats_range.bucket,
    }
    # Bound to the effective values, so the form shows the range the charts really cover.
    form = ChartRangeForm({**params, "bucket": request.GET.get("bucket", "")})
    if source_id is not None:
        params["source"] = str(source_id)
    if campaign_id is not None:
        params["campaign"] = str(campaign_id)
    return {
        "chart_form": form,
        "chart_range": stats_range,
        "chart_first_day": first_day,
        "chart_last_day": last_day,
        "time_zone": timezone.get_current_timezone_name(),
        "charts": [
            {"title": title, "by": by, "query": urlencode({**params, "by": by})}
            for title, by in charts
        ],
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
    context.update(
        admin.site.each_context(request),
        cap_rows=cap_rows(worst_first=True)[:DASHBOARD_CAPS] if can_see_caps else None,
        title="Dashboard",
        range_totals=intake_totals(stats_range),
        today_totals=intake_totals(today),
    )
    return TemplateResponse(request, "admin/cs/dashboard.html", context)
