"""Feedback in the admin: the returns waiting for review (approve/reject, one or many), a
"return" action on contacts (reports puts the same one on the timeline), and the return
settings on the campaign page (an inline added from here: campaigns may not import feedback).
The "Returns and conversions" panel of the source and campaign pages is backoffice's: it holds
feedback's table and the charts, which are above feedback."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from campaigns.admin import CampaignAdmin
from feedback.models import DEFAULT_REASONS, ContactReturn, Conversion, ReturnPolicy
from feedback.services import FeedbackRefused, return_request, returns_decide
from ingest.admin import ContactAdmin
from ingest.models import Contact


class ReturnPolicyInline(admin.StackedInline):
    model = ReturnPolicy
    extra = 1
    max_num = 1
    can_delete = False
    fields = ("window", "reasons", "review")
    verbose_name = "return settings (empty window: no returns)"
    verbose_name_plural = verbose_name


CampaignAdmin.inlines = [*CampaignAdmin.inlines, ReturnPolicyInline]


class RejectActionForm(ActionForm):
    rejection_reason = forms.CharField(
        required=False, max_length=500, label="Rejection reason (to reject)"
    )


@admin.register(ContactReturn)
class ContactReturnAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "status",
        "reason",
        "contact",
        "source",
        "campaign",
        "endpoint",
        "rejection_reason",
    )
    list_filter = ("status", "reason", "source", "campaign")
    list_select_related = ("source", "campaign", "endpoint")
    date_hierarchy = "created_at"
    raw_id_fields = ("contact",)
    actions = ["approve", "reject"]
    action_form = RejectActionForm

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("feedback.change_contactreturn"))

    def _decide(self, request: HttpRequest, queryset: QuerySet[ContactReturn], **kw: Any) -> None:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        done, problems = returns_decide(return_ids=ids, user=request.user, **kw)
        verb = "approved" if kw["approve"] else "rejected"
        if done:
            messages.success(request, f"{done} return(s) {verb}.")
        for problem in problems:
            messages.error(request, problem)

    @admin.action(description="Approve the selected returns", permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: QuerySet[ContactReturn]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(
        description="Reject the selected returns (give the reason)", permissions=["decide"]
    )
    def reject(self, request: HttpRequest, queryset: QuerySet[ContactReturn]) -> None:
        reason = request.POST.get("rejection_reason", "")
        self._decide(request, queryset, approve=False, reason=reason)


@admin.register(Conversion)
class ConversionAdmin(admin.ModelAdmin):
    list_display = ("id", "reported_at", "contact", "source", "campaign", "value", "converted_at")
    list_filter = ("source", "campaign")
    list_select_related = ("source", "campaign")
    raw_id_fields = ("contact",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReturnActionForm(ActionForm):
    return_reason = forms.ChoiceField(
        required=False,
        choices=[("", "return reason…"), *((r, r) for r in DEFAULT_REASONS)],
        label="Return reason (to return)",
    )


def contacts_return(request: HttpRequest, contacts: QuerySet[Contact]) -> None:
    """Return each contact with the reason chosen beside the actions, by the same rules as the
    API; each refusal is shown for its contact. The contact list's and the timeline's action."""
    reason = request.POST.get("return_reason", "")
    if not reason:
        messages.error(request, "Choose the return reason beside the action.")
        return
    created = 0
    for contact in contacts.order_by("pk"):
        try:
            _ret, new = return_request(contact=contact, reason=reason, user=request.user)
        except FeedbackRefused as exc:
            messages.error(request, exc.detail)
            continue
        created += int(new)
    messages.success(request, f"{created} contact(s) returned.")


def may_return(request: HttpRequest) -> bool:
    return bool(request.user.has_perm("feedback.add_contactreturn"))


def _return_contacts(
    modeladmin: admin.ModelAdmin[Contact], request: HttpRequest, queryset: QuerySet[Contact]
) -> None:
    contacts_return(request, queryset)


_return_contacts.short_description = "Return the selected contacts"  # type: ignore[attr-defined]
_return_contacts.allowed_permissions = ("return",)  # type: ignore[attr-defined]
ContactAdmin.has_return_permission = lambda self, request: may_return(request)  # type: ignore[attr-defined]
ContactAdmin.actions = [*(ContactAdmin.actions or []), _return_contacts]  # type: ignore[misc]
ContactAdmin.action_form = ReturnActionForm
