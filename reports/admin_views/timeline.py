"""The transactions timeline (the intake events list) and its streaming CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils import timezone

from campaigns.models import Campaign
from contactsource.csvexport import stream_csv
from ingest.eventlog import MAX_LOGGED_VALUE, cut_lengths
from ingest.models import IntakeEvent, IntakeStatus
from reports.selectors import Cursor, TimelineFilter, day_start, timeline_chunks, timeline_page
from sources.models import Source

PAGE_SIZE = 50
EXPORT_CHUNK = 2000
EXPORT_PERMISSION = "ingest.export_intakeevent"
EXPORT_HEADER = [
    "id",
    "created_at",
    "request_id",
    "status",
    "http_status",
    "source_id",
    "source_name",
    "campaign_id",
    "campaign_name",
    "contact_id",
    "cost",
    "revenue",
    "email",
    "phone",
    "is_test",
    "replay_of_id",
    "batch_index",
    "client_ip",
    "duration_ms",
    "errors",
    "fields_stored",
]


class TimelineForm(forms.Form):
    source = forms.ModelChoiceField(Source.objects.all(), required=False)
    campaign = forms.ModelChoiceField(Campaign.objects.all(), required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *IntakeStatus.choices], required=False)
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    q = forms.CharField(
        required=False,
        max_length=320,
        label="Email or phone",
        widget=forms.TextInput({"type": "search", "placeholder": "ada@example.com"}),
    )

    def timeline_filter(self) -> TimelineFilter:
        """The filter the form selects; an invalid form selects nothing beyond its valid parts."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        source, campaign = data.get("source"), data.get("campaign")
        start, end = data.get("start"), data.get("end")
        return TimelineFilter(
            source_id=source.pk if source else None,
            campaign_id=campaign.pk if campaign else None,
            status=data.get("status") or "",
            start=day_start(start) if start else None,
            end=day_start(end + timedelta(days=1)) if end else None,
            text=data.get("q") or "",
            phone_region=campaign.phone_region if campaign else "US",
        )


def _query(request: HttpRequest, **changes: str) -> str:
    params = {k: v for k, v in request.GET.items() if k != "after" and v}
    params.update({k: v for k, v in changes.items() if v})
    return urlencode(params)


def timeline_view(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    if not request.user.has_perm("ingest.view_intakeevent"):
        raise PermissionDenied
    form = TimelineForm(request.GET or None)
    after = Cursor.decode(request.GET.get("after"))
    rows, next_cursor = timeline_page(form.timeline_filter(), after=after, size=PAGE_SIZE)
    for event in rows:
        # Values the log kept only the start of: a badge and a plain line say so.
        cut = sorted(cut_lengths(event.fields_provided).items())
        event.values_cut = [(key, f"{length:,}") for key, length in cut]  # type: ignore[attr-defined]
    context = {
        **admin.site.each_context(request),
        "title": "Transactions timeline",
        "opts": IntakeEvent._meta,
        "form": form,
        "rows": rows,
        "logged_value_limit": f"{MAX_LOGGED_VALUE:,}",
        "is_first_page": after is None,
        "next_query": _query(request, after=next_cursor.encode()) if next_cursor else "",
        "first_query": _query(request),
        "can_export": request.user.has_perm(EXPORT_PERMISSION),
        "time_zone": timezone.get_current_timezone_name(),
        **(extra_context or {}),
    }
    return TemplateResponse(request, "admin/ingest/intakeevent/timeline.html", context)


def _export_rows(chunks: Iterator[list[IntakeEvent]]) -> Iterator[list[Any]]:
    for chunk in chunks:
        for event in chunk:
            yield [
                event.pk,
                timezone.localtime(event.created_at).isoformat(),
                event.request_id,
                event.status,
                event.http_status,
                event.source_id,
                event.source.name if event.source else "",
                event.campaign_id,
                event.campaign.name if event.campaign else "",
                event.contact_id,
                event.cost,
                event.revenue,
                event.email,
                event.phone,
                int(event.is_test),
                event.replay_of_id,
                event.batch_index,
                event.client_ip,
                round(event.duration * 1000, 1),
                event.errors,
                event.fields_stored,
            ]


def timeline_export_view(request: HttpRequest) -> HttpResponseBase:
    """Everything the timeline's filter selects, as CSV, streamed in keyset chunks."""
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    selection = TimelineForm(request.GET or None).timeline_filter()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    chunks = timeline_chunks(selection, chunk_size=EXPORT_CHUNK)
    return stream_csv(f"transactions-{stamp}.csv", EXPORT_HEADER, _export_rows(chunks))
