"""The caps and budgets dashboard: every active cap's use, its window's reset and a forecast.

The figures come from finance (caps_usage: counters and forecasts); this module only lays them
out for the admin, and the same rows feed the caps table on the source and campaign pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from campaigns.models import Campaign
from finance.describe import money
from finance.forecast import CapForecast
from finance.models import Cap, CapKind
from finance.selectors import caps_usage
from sources.models import Source

VIEW_PERMISSION = "finance.view_cap"
WARN_PERCENT = Decimal("75")
DANGER_PERCENT = Decimal("90")  # the anchor's red line


@dataclass(frozen=True)
class CapRow:
    cap: Cap
    description: str
    used: str
    limit: str
    percent: Decimal
    bar: int  # the progress bar's width, 0-100
    level: str  # ok, warn (will be reached at this pace, or past 75 %), danger (past 90 %)
    resets_at: datetime
    reached_at: datetime | None
    pace: str
    projected_percent: Decimal


def _amount(cap: Cap, value: Decimal) -> str:
    return money(value) if cap.kind == CapKind.BUDGET else str(int(value))


def _pace(cap: Cap, per_hour: Decimal) -> str:
    return money(per_hour) if cap.kind == CapKind.BUDGET else str(per_hour.normalize())


def cap_row(usage: CapForecast) -> CapRow:
    state, cap = usage.state, usage.state.cap
    percent = usage.percent
    if percent >= DANGER_PERCENT:
        level = "danger"
    elif percent >= WARN_PERCENT or usage.reached_at is not None:
        level = "warn"
    else:
        level = "ok"
    return CapRow(
        cap=cap,
        description=cap.describe(),
        used=_amount(cap, state.used),
        limit=_amount(cap, state.limit),
        percent=percent,
        bar=int(min(Decimal(100), max(Decimal(0), percent))),
        level=level,
        resets_at=state.at + timedelta(seconds=state.reset_seconds()),
        reached_at=usage.reached_at,
        pace=f"{_pace(cap, usage.pace_per_hour)} / h",
        projected_percent=usage.projected_percent,
    )


def cap_rows(
    *, source_id: int | None = None, campaign_id: int | None = None, worst_first: bool = False
) -> list[CapRow]:
    rows = [
        cap_row(usage)
        for usage in caps_usage(at=timezone.now(), source_id=source_id, campaign_id=campaign_id)
    ]
    if worst_first:
        rows.sort(key=lambda row: (-row.percent, -row.projected_percent, row.cap.pk))
    return rows


class CapFilterForm(forms.Form):
    campaign = forms.ModelChoiceField(Campaign.objects.all(), required=False)
    source = forms.ModelChoiceField(Source.objects.all(), required=False)


def caps_dashboard_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    form = CapFilterForm(request.GET or None)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    source, campaign = data.get("source"), data.get("campaign")
    rows = cap_rows(
        source_id=source.pk if source else None,
        campaign_id=campaign.pk if campaign else None,
        worst_first=True,
    )
    context = {
        **admin.site.each_context(request),
        "title": "Caps and budgets",
        "form": form,
        "rows": rows,
        "time_zone": timezone.get_current_timezone_name(),
    }
    return TemplateResponse(request, "admin/cs/caps.html", context)
