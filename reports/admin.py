"""The reports' parts of other apps' admin pages: the intake events' list is the transactions
timeline (with its CSV export and the contact list's "return" action), and the sources' list
shows today's figures.

Both are the other app's admin class extended here and registered again in its place, as
Django's admin lets a site do: ingest and sources never import the reports (DESIGN §2).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path

from feedback.admin import ReturnActionForm, contacts_return, may_return
from ingest.admin import IntakeEventAdmin
from ingest.models import Contact, IntakeEvent
from reports.admin_views import timeline
from reports.selectors import Totals, source_today_totals
from sources.admin import SourceAdmin
from sources.models import Source


class IntakeEventTimelineAdmin(IntakeEventAdmin):
    """The list is the transactions timeline (keyset pages, filters, CSV export). Its rows can
    be selected for the contact list's "Return the selected contacts" action (the reason chosen
    beside it, the same feedback service and rules, refusals shown per contact)."""

    actions = ["return_contacts"]
    action_form = ReturnActionForm

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            return self._action_run(request)
        context = dict(extra_context or {})
        if self.get_actions(request):
            form = self.action_form(auto_id=False)
            action = form.fields["action"]
            assert isinstance(action, forms.ChoiceField)
            action.choices = self.get_action_choices(request)
            context["action_form"] = form
        return timeline.timeline_view(request, context)

    def _action_run(self, request: HttpRequest) -> HttpResponse:
        """Run the chosen action on the selected events, then back to the same page (filters
        kept), where the messages say what was done and what was refused."""
        if not request.user.has_perm("ingest.view_intakeevent"):
            raise PermissionDenied
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if all(value.isdigit() and len(value) < 19 for value in selected):
            self.response_action(request, IntakeEvent.objects.all())
        else:
            messages.error(request, "Select events from the timeline: event ids are whole numbers.")
        return HttpResponseRedirect(request.get_full_path())

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # The timeline is the intake's log: no "delete selected" here, whatever the user holds.
        actions = super().get_actions(request)
        return {name: action for name, action in actions.items() if name == "return_contacts"}

    def has_return_permission(self, request: HttpRequest) -> bool:
        return may_return(request)

    @admin.action(description="Return the selected contacts", permissions=["return"])
    def return_contacts(self, request: HttpRequest, queryset: QuerySet[IntakeEvent]) -> None:
        events = list(queryset.order_by("pk").values_list("pk", "contact_id"))
        for event_id, contact_id in events:
            if contact_id is None:
                messages.error(request, f"Event {event_id} stored no contact: nothing to return.")
        contact_ids = {contact_id for _event, contact_id in events if contact_id is not None}
        if contact_ids:
            contacts_return(request, Contact.objects.filter(pk__in=contact_ids))

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
