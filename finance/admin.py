"""Caps and the ledger in the admin; caps are also edited inline on sources and campaigns.

The inlines are added to the sources' and campaigns' admin classes from here, because finance
imports sources and campaigns and never the other way round (STYLE.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone

from campaigns.admin import CampaignAdmin
from finance.describe import money
from finance.forecast import CapForecast
from finance.models import Cap, CapKind, LedgerEntry, LedgerKind
from finance.selectors import caps_usage
from finance.services import cap_save, ledger_reverse_contact
from sources.admin import SourceAdmin
from sources.models import SourceCampaign

CAP_FIELDS = ("kind", "limit", "scope", "utm_source", "duration", "is_active")


def _use_text(usage: CapForecast | None) -> str:
    if usage is None:
        return "—"
    state = usage.state
    if state.cap.kind == CapKind.BUDGET:
        return f"{money(state.used)} / {money(state.limit)} ({usage.percent}%)"
    return f"{int(state.used)} / {int(state.limit)} ({usage.percent}%)"


def _forecast_text(usage: CapForecast | None) -> str:
    if usage is None:
        return "—"
    if usage.reached_at is None:
        return f"not reached at {usage.pace_per_hour}/h"
    local = timezone.localtime(usage.reached_at)
    return f"reached {local:%Y-%m-%d %H:%M} at {usage.pace_per_hour}/h"


def _usage_of(cap: Cap) -> CapForecast | None:
    if not cap.pk or not cap.is_active:
        return None
    found = [
        u
        for u in caps_usage(at=timezone.now(), campaign_id=cap.campaign_id)
        if u.state.cap.pk == cap.pk
    ]
    return found[0] if found else None


class CapInlineFormSet(BaseInlineFormSet):
    """Saves through finance.services.cap_save: a new or re-scoped cap starts from what the
    ledger says its window already holds, not from zero."""

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> Any:
        cap = super().save_new(form, commit=False)
        return cap_save(cap=cap) if commit else cap

    def save_existing(self, form: forms.ModelForm, obj: Any, commit: bool = True) -> Any:
        cap = form.save(commit=False)
        return cap_save(cap=cap) if commit else cap


class SourceCapFormSet(CapInlineFormSet):
    def clean(self) -> None:
        super().clean()
        # A source being added has no whitelist entries yet (and cannot be queried by).
        whitelisted = (
            set(
                SourceCampaign.objects.filter(source=self.instance).values_list(
                    "campaign_id", flat=True
                )
            )
            if self.instance.pk
            else set()
        )
        for form in self.forms:
            campaign = form.cleaned_data.get("campaign") if hasattr(form, "cleaned_data") else None
            if campaign is None or form.cleaned_data.get("DELETE"):
                continue
            if campaign.pk not in whitelisted and not self.instance.internal:
                form.add_error(
                    "campaign",
                    "This source is not whitelisted for that campaign: save the whitelist entry "
                    "first, then its caps.",
                )


class SourceCapInline(admin.TabularInline):
    """A source's caps, one per whitelisted campaign and window (the tightest applies)."""

    model = Cap
    fk_name = "source"
    formset = SourceCapFormSet
    extra = 0
    fields = ("campaign", *CAP_FIELDS, "use_now", "forecast")
    readonly_fields = ("use_now", "forecast")
    autocomplete_fields = ("campaign",)
    verbose_name = "cap or budget on a whitelisted campaign"
    verbose_name_plural = "caps and budgets (this source's contacts into a campaign)"

    @admin.display(description="use now")
    def use_now(self, obj: Cap) -> str:
        return _use_text(_usage_of(obj))

    @admin.display(description="forecast")
    def forecast(self, obj: Cap) -> str:
        return _forecast_text(_usage_of(obj))


class CampaignCapInline(admin.TabularInline):
    """Caps that count every source's contacts into the campaign together."""

    model = Cap
    fk_name = "campaign"
    formset = CapInlineFormSet
    extra = 0
    fields = (*CAP_FIELDS, "use_now", "forecast")
    readonly_fields = ("use_now", "forecast")
    verbose_name = "cap or budget across all sources"
    verbose_name_plural = "caps and budgets across all sources"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cap]:
        return super().get_queryset(request).filter(source__isnull=True)

    use_now = SourceCapInline.use_now
    forecast = SourceCapInline.forecast


SourceAdmin.inlines = [*SourceAdmin.inlines, SourceCapInline]
CampaignAdmin.inlines = [*CampaignAdmin.inlines, CampaignCapInline]


@admin.register(Cap)
class CapAdmin(admin.ModelAdmin):
    """Every cap and budget with its use in the current window and its forecast."""

    list_display = ("id", "campaign", "source", "description", "is_active")
    list_filter = ("is_active", "kind", "scope", "campaign", "source")
    list_select_related = ("campaign", "source")
    search_fields = ("campaign__name", "source__name", "utm_source")
    autocomplete_fields = ("campaign", "source")
    fields = ("campaign", "source", *CAP_FIELDS)

    def get_list_display(self, request: HttpRequest) -> Any:
        # Usage for the whole list in two queries, kept with this request (not on the shared
        # ModelAdmin instance).
        usage = {u.state.cap.pk: u for u in caps_usage(at=timezone.now())}

        def column(text: Callable[[CapForecast | None], str], title: str) -> Any:
            def show(cap: Cap) -> str:
                return text(usage.get(cap.pk))

            show.short_description = title  # type: ignore[attr-defined]
            return show

        return [
            *self.list_display,
            column(_use_text, "use now"),
            column(_forecast_text, "forecast"),
        ]

    @admin.display(description="cap")
    def description(self, obj: Cap) -> str:
        return obj.describe()

    def save_model(self, request: HttpRequest, obj: Cap, form: Any, change: bool) -> None:
        cap_save(cap=obj)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Append-only: read here; a charge is corrected with the reversal action, never edited."""

    list_display = ("id", "created_at", "kind", "amount", "source", "campaign", "contact_id")
    list_filter = ("kind", "source", "campaign")
    list_select_related = ("source", "campaign")
    search_fields = ("=contact_id", "memo")
    date_hierarchy = "created_at"
    actions = ["reverse_charge"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Reverse the charge of these entries' contacts", permissions=["view"])
    def reverse_charge(self, request: HttpRequest, queryset: QuerySet[LedgerEntry]) -> None:
        if not request.user.has_perm("finance.add_ledgerentry"):
            messages.error(
                request, "Reversing a charge needs the permission to add ledger entries."
            )
            return
        contact_ids = {
            cid
            for cid in queryset.exclude(kind=LedgerKind.REVERSAL).values_list(
                "contact_id", flat=True
            )
            if cid is not None
        }
        added = sum(
            len(ledger_reverse_contact(contact_id=cid, memo=f"reversed by {request.user}"))
            for cid in sorted(contact_ids)
        )
        messages.success(
            request, f"{added} reversal entries added for {len(contact_ids)} contacts."
        )
