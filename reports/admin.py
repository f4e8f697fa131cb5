"""The reports' parts of other apps' admin pages: the intake events' list is the transactions
timeline (with its CSV export), and the sources' list shows today's figures.

Both are the other app's admin class extended here and registered again in its place, as
Django's admin lets a site do: ingest and sources never import the reports (DESIGN §2).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from ingest.admin import IntakeEventAdmin
from ingest.models import IntakeEvent
from reports.admin_views import timeline
from reports.selectors import Totals, source_today_totals
from sources.admin import SourceAdmin
from sources.models import Source


class IntakeEventTimelineAdmin(IntakeEventAdmin):
    """The list is the transactions timeline (keyset pages, filters, CSV export)."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return timeline.timeline_view(request, extra_context)

    def get_urls(self) -> list[URLPattern]:
        export = self.admin_site.admin_view(timeline.timeline_export_view)
        return [
            path("export.csv", export, name="ingest_intakeevent_export"),
            *super().get_urls(),
        ]


class SourceTodayAdmin(SourceAdmin):
    """The sources' list with today's figures beside each source."""

    list_display = (
        "id",
        "name",
        "category",
        "is_published",
        "today_accepted",
        "today_rejected",
        "today_cost",
        "internal",
    )

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """Today's figures for the page's sources: one aggregate for the whole page."""
        changelist = super().get_changelist_instance(request)
        sources = list(changelist.result_list)
        totals = source_today_totals([source.pk for source in sources])
        for source in sources:
            source.today = totals.get(source.pk, Totals())
        changelist.result_list = sources
        return changelist

    @admin.display(description="accepted today")
    def today_accepted(self, obj: Source) -> int:
        return getattr(obj, "today", Totals()).accepted

    @admin.display(description="not accepted today")
    def today_rejected(self, obj: Source) -> int:
        return getattr(obj, "today", Totals()).rejected

    @admin.display(description="cost today")
    def today_cost(self, obj: Source) -> str:
        return f"{getattr(obj, 'today', Totals()).cost:.2f}"


for _model, _admin in ((IntakeEvent, IntakeEventTimelineAdmin), (Source, SourceTodayAdmin)):
    admin.site.unregister(_model)
    admin.site.register(_model, _admin)
