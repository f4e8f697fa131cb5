from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from contactsource.tokens import token_generate, token_hash
from sources.models import Source, SourceCampaign, SourceChange
from sources.services import source_api_changes_tracked, source_rotate_token


class SourceCampaignForm(forms.ModelForm):
    """A whitelist entry, with its campaign's revenue beside its cost (margin at a glance)."""

    revenue = forms.DecimalField(
        label="campaign revenue",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=4,
        required=False,
        help_text="Per accepted contact, set on the campaign: a change applies to every source.",
    )

    class Meta:
        model = SourceCampaign
        fields = ("campaign", "is_active", "cost", "scrub_rate", "real_time", "duplicate_window")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["revenue"].initial = self.instance.campaign.revenue

    def clean_duplicate_window(self) -> timedelta | None:
        window = self.cleaned_data.get("duplicate_window")
        if window is not None and window <= timedelta(0):
            raise forms.ValidationError(
                "Use a positive duration such as 30 00:00:00 (30 days), or leave it empty to "
                "turn the duplicate check off."
            )
        return window

    def save(self, commit: bool = True) -> Any:
        entry = super().save(commit)
        revenue = self.cleaned_data.get("revenue")
        campaign = entry.campaign
        if revenue is not None and campaign.revenue != revenue:
            campaign.revenue = revenue
            campaign.save(update_fields=["revenue", "updated_at"])
        return entry


class SourceCampaignInline(admin.TabularInline):
    # Caps and budgets are edited in their own inline below, which finance/admin.py adds to
    # SourceAdmin (finance imports sources, never the other way round).
    model = SourceCampaign
    form = SourceCampaignForm
    extra = 0
    fields = (
        "campaign",
        "is_active",
        "cost",
        "revenue",
        "scrub_rate",
        "real_time",
        "duplicate_window",
    )
    autocomplete_fields = ("campaign",)


class SourceChangeInline(admin.TabularInline):
    """The source's API changelog (recorded by the save paths, never edited by hand)."""

    model = SourceChange
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("created_at", "diff", "email_status", "webhook_status", "attempts", "last_error")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = "API changelog"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _show_token_once(request: HttpRequest, source: Source, token: str, verb: str) -> None:
    messages.warning(
        request,
        f"{verb} token for source {source.pk} ({source.name}): {token} — copy it now, "
        "it is stored hashed and will not be shown again.",
    )


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "is_published", "internal", "documentation_enabled")
    list_filter = ("is_published", "internal", "documentation_enabled", "entries__campaign")
    search_fields = ("name", "description", "utm_source")
    inlines = [SourceCampaignInline, SourceChangeInline]
    readonly_fields = (
        "token_rotated_at",
        "previous_token_valid_until",
        "notification_secret",
        "documentation_page",
    )
    actions = ["rotate_token"]
    fieldsets = (
        (None, {"fields": ("name", "description", "public_description", "utm_source")}),
        ("Publishing", {"fields": ("is_published", "publish_up", "publish_down", "internal")}),
        (
            "Partner documentation",
            {"fields": ("documentation_enabled", "documentation_page", "verbose_key")},
        ),
        (
            "Notifications",
            {"fields": ("notification_email", "notification_url", "notification_secret")},
        ),
        ("Token", {"fields": ("token_rotated_at", "previous_token_valid_until")}),
    )

    @admin.display(description="Documentation page")
    def documentation_page(self, obj: Source) -> str:
        if not obj.pk:
            return "Shown once the source is saved."
        url = reverse("ingest:docs-source", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "POST" or not (object_id or "").isdigit():
            return super().changeform_view(request, object_id, form_url, extra_context)
        # The whole edit (source and whitelist inline) is one change set: one notification.
        assert object_id is not None
        with source_api_changes_tracked(source_ids=[int(object_id)]):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        token = None
        if not change:
            token = token_generate()
            obj.token_hash = token_hash(token)
        super().save_model(request, obj, form, change)
        if token:
            _show_token_once(request, obj, token, "New")

    @admin.action(description="Rotate token (old token stays valid for the grace period)")
    def rotate_token(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            _show_token_once(request, source, source_rotate_token(source=source), "Rotated")
