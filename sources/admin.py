from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html

from contactsource.admin_site import (
    HTTPS_URL_FIELDS,
    ChangeSetAdmin,
    PageExtrasAdmin,
    SecretLookupsRefusedMixin,
)
from contactsource.tokens import token_generate, token_hash
from sources.admin_views import rotate_token_view, token_page
from sources.documentation import documentation_path
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


@admin.register(Source)
class SourceAdmin(PageExtrasAdmin, SecretLookupsRefusedMixin, ChangeSetAdmin):
    formfield_overrides = HTTPS_URL_FIELDS
    secret_fields = ("token_hash", "previous_token_hash", "notification_secret")
    # The reports app adds today's figures to this list (reports/admin.py).
    list_display: tuple[str, ...] = ("id", "name", "category", "is_published", "internal")
    list_filter = (
        "is_published",
        "category",
        "entries__campaign",
        "internal",
        "documentation_enabled",
    )
    search_fields = ("name", "description", "public_description", "utm_source", "category")
    inlines = [SourceCampaignInline, SourceChangeInline]
    readonly_fields = (
        "token_rotated_at",
        "previous_token_valid_until",
        "notification_secret",
        "documentation_page",
    )
    actions = ["rotate_token"]
    fieldsets = (
        (
            None,
            {"fields": ("name", "category", "description", "public_description", "utm_source")},
        ),
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
        url = documentation_path(obj.pk)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    def change_set(self, object_id: int) -> AbstractContextManager[Any]:
        # The whole edit (source and whitelist inline) is one change set: one notification.
        return source_api_changes_tracked(source_ids=[object_id])

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        if not change:
            token = token_generate()
            obj.token_hash = token_hash(token)
            # Shown once by response_add, straight into the page (never in the session).
            request._new_source_token = token  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: Source, post_url_continue: str | None = None
    ) -> HttpResponse:
        token = getattr(request, "_new_source_token", None)
        if token and "_popup" not in request.POST:
            return token_page(request, [(obj, token)], rotated=False)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Rotate token (old token stays valid for the grace period)")
    def rotate_token(self, request: HttpRequest, queryset: QuerySet[Source]) -> HttpResponse:
        hours = settings.TOKEN_ROTATION_GRACE_SECONDS // 3600
        tokens = [(source, source_rotate_token(source=source)) for source in queryset]
        return token_page(request, tokens, rotated=True, grace_hours=hours)

    def get_urls(self) -> list[URLPattern]:
        rotate = self.admin_site.admin_view(rotate_token_view)
        return [
            path("<path:object_id>/rotate-token/", rotate, name="sources_source_rotate_token"),
            *super().get_urls(),
        ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Source], search_term: str
    ) -> tuple[QuerySet[Source], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.isdigit() and len(term) < 19:  # a number also finds the source with that id
            results |= queryset.filter(pk=int(term))
        return results, may_have_duplicates
