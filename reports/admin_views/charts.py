"""Chart data for the admin: django-chartjs line-chart views backed by reports.selectors.

`GET /admin/charts/intake/?by=status|campaign|source|money&source=&campaign=&start=&end=&bucket=`
and `GET /admin/charts/quality/?by=rates|reasons&…` (the same range parameters) answer Chart.js
data (`labels`, `datasets`); `static/cs_admin/charts.js` draws it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from chartjs.views.lines import BaseLineChartView
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from ingest.models import IntakeStatus
from reports.selectors import (
    CONVERSION_RATE,
    RETURN_RATE,
    Bucket,
    Series,
    StatsRange,
    day_start,
    intake_by_group,
    intake_by_status,
    money_by_bucket,
    quality_rates,
    returns_by_reason,
)

DEFAULT_DAYS = 30
MAX_HOUR_DAYS = 14  # hourly buckets beyond two weeks are unreadable: switch to days
MAX_DAYS = 400
CHART_KINDS = ("status", "campaign", "source", "money")
QUALITY_KINDS = ("rates", "reasons")
STATUS_COLORS = {
    "Accepted": (46, 160, 67),
    "Scrubbed": (130, 80, 223),
    "Rejected": (219, 109, 40),
    "Duplicate": (140, 149, 159),
    "Limited": (212, 167, 44),
    "Invalid": (207, 34, 46),
    "Error": (110, 20, 30),
    "Cost": (207, 34, 46),
    "Revenue": (46, 160, 67),
    "Margin": (9, 105, 218),
    RETURN_RATE: (207, 34, 46),
    CONVERSION_RATE: (46, 160, 67),
}
PALETTE = [
    (9, 105, 218),
    (46, 160, 67),
    (219, 109, 40),
    (130, 80, 223),
    (191, 57, 137),
    (212, 167, 44),
    (27, 124, 131),
    (140, 149, 159),
    (110, 20, 30),
]
VIEW_PERMISSION = "ingest.view_intakeevent"
QUALITY_PERMISSION = "feedback.view_contactreturn"


class ChartRangeForm(forms.Form):
    """The date range and bucket shared by every chart on a page (GET parameters)."""

    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    bucket = forms.ChoiceField(
        required=False,
        choices=[("", "Auto"), ("hour", "Hour"), ("day", "Day")],
        label="By",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError("'From' must be on or before 'To'.")
        return data

    def stats_range(
        self, *, source_id: int | None = None, campaign_id: int | None = None
    ) -> StatsRange:
        """The range the form selects (defaults: the last 30 days, in days; a bad form too)."""
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        end_day: date = data.get("end") or today
        start_day: date = data.get("start") or end_day - timedelta(days=DEFAULT_DAYS - 1)
        start_day = max(start_day, end_day - timedelta(days=MAX_DAYS - 1))
        days = (end_day - start_day).days + 1
        bucket: Bucket = "hour" if days <= 2 else "day"
        if data.get("bucket") in ("hour", "day"):
            bucket = "hour" if data["bucket"] == "hour" else "day"
        if bucket == "hour" and days > MAX_HOUR_DAYS:
            bucket = "day"
        return StatsRange(
            start=day_start(start_day),
            end=day_start(end_day + timedelta(days=1)),
            bucket=bucket,
            source_id=source_id,
            campaign_id=campaign_id,
        )


def _optional_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _label(moment: datetime, bucket: str) -> str:
    local = timezone.localtime(moment)
    return local.strftime("%Y-%m-%d %H:00" if bucket == "hour" else "%Y-%m-%d")


class SeriesChartView(BaseLineChartView):
    """One chart's data over the range form's range; which chart is `by`, one of `kinds`."""

    permission: str
    kinds: tuple[str, ...]
    by: str
    series: Series
    stats_range: StatsRange
    fill_alpha = 0.15  # the area under a line

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        self.by = request.GET.get("by", self.kinds[0])
        if self.by not in self.kinds:
            message = f"'by' must be one of {', '.join(self.kinds)}."
            return JsonResponse({"error": message}, status=400)
        self.stats_range = ChartRangeForm(request.GET).stats_range(
            source_id=_optional_id(request.GET.get("source")),
            campaign_id=_optional_id(request.GET.get("campaign")),
        )
        refused = self.series_build(request)
        if refused is not None:
            return refused
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    def series_build(self, request: HttpRequest) -> HttpResponse | None:
        """Set `self.series` for `self.by`, or answer why not."""
        raise NotImplementedError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Only the chart: the parent would also serialise the view object and URL kwargs.
        return {"labels": self.get_labels(), "datasets": self.get_datasets()}

    def get_labels(self) -> list[str]:
        return [_label(moment, self.stats_range.bucket) for moment in self.series.labels]

    def get_providers(self) -> list[str]:
        return list(self.series.datasets)

    def get_data(self) -> list[list[Any]]:
        return list(self.series.datasets.values())

    def get_datasets(self) -> list[dict[str, Any]]:
        datasets = []
        for index, (name, values) in enumerate(self.series.datasets.items()):
            red, green, blue = STATUS_COLORS.get(name, PALETTE[index % len(PALETTE)])
            datasets.append(
                {
                    "label": name,
                    "data": values,
                    "borderColor": f"rgb({red}, {green}, {blue})",
                    "backgroundColor": f"rgba({red}, {green}, {blue}, {self.fill_alpha})",
                    "pointRadius": 0 if len(values) > 60 else 2,
                    "tension": 0.2,
                }
            )
        return datasets


class IntakeChartView(SeriesChartView):
    """Intake by status, accepted (or `status=`) by campaign or by source, or money."""

    permission = VIEW_PERMISSION
    kinds = CHART_KINDS

    def series_build(self, request: HttpRequest) -> HttpResponse | None:
        status = request.GET.get("status", IntakeStatus.ACCEPTED)
        if status not in IntakeStatus.values:
            return JsonResponse({"error": "Unknown status."}, status=400)
        if self.by == "status":
            self.series = intake_by_status(self.stats_range)
        elif self.by == "money":
            self.series = money_by_bucket(self.stats_range)
        else:
            group: Literal["campaign", "source"] = "campaign" if self.by == "campaign" else "source"
            self.series = intake_by_group(self.stats_range, by=group, status=status)
        return None


class QualityChartView(SeriesChartView):
    """Source quality per bucket of the contacts' acceptance: return and conversion rates (in
    percent), or approved returns by reason (drawn as stacked bars)."""

    permission = QUALITY_PERMISSION
    kinds = QUALITY_KINDS

    def series_build(self, request: HttpRequest) -> HttpResponse | None:
        if self.by == "rates":
            self.series = quality_rates(self.stats_range)
        else:
            self.series = returns_by_reason(self.stats_range)
            self.fill_alpha = 0.75  # bars: filled, not a faint area under a line
        return None
