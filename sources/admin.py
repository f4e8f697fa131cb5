from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from contactsource.tokens import token_generate, token_hash
from sources.models import Source, SourceCampaign
from sources.services import source_rotate_token


class SourceCampaignInline(admin.TabularInline):
    model = SourceCampaign
    extra = 0
    fields = ("campaign", "is_active", "cost", "scrub_rate", "real_time", "duplicate_window")
    autocomplete_fields = ("campaign",)


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
    inlines = [SourceCampaignInline]
    readonly_fields = ("token_rotated_at", "previous_token_valid_until")
    actions = ["rotate_token"]
    fieldsets = (
        (None, {"fields": ("name", "description", "public_description", "utm_source")}),
        ("Publishing", {"fields": ("is_published", "publish_up", "publish_down", "internal")}),
        ("Partner documentation", {"fields": ("documentation_enabled", "verbose_key")}),
        ("Notifications", {"fields": ("notification_email", "notification_url")}),
        ("Token", {"fields": ("token_rotated_at", "previous_token_valid_until")}),
    )

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
