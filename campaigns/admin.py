from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from campaigns.models import Campaign, CampaignField
from contactsource.admin_site import ChangeSetAdmin, PageExtrasAdmin
from contactsource.api_changes import api_changes_tracked


class CampaignFieldInline(admin.TabularInline):
    model = CampaignField
    extra = 0
    fields = ("position", "key", "label", "type", "required", "choices", "example")


@admin.register(Campaign)
class CampaignAdmin(PageExtrasAdmin, ChangeSetAdmin):
    list_display = ("id", "name", "is_published", "revenue", "phone_region", "timezone")
    list_filter = ("is_published",)
    search_fields = ("name", "description")
    inlines = [CampaignFieldInline]
    fieldsets = (
        (None, {"fields": ("name", "description", "revenue")}),
        ("Publishing", {"fields": ("is_published", "publish_up", "publish_down")}),
        ("Locale", {"fields": ("phone_region", "timezone")}),
    )

    # Fields and the published flag are part of every whitelisted source's API: an edit is
    # compared before and after, and each affected source gets one change record and notice.
    def change_set(self, object_id: int) -> AbstractContextManager[Any]:
        return api_changes_tracked(campaign_ids=[object_id])

    def delete_model(self, request: HttpRequest, obj: Campaign) -> None:
        with api_changes_tracked(campaign_ids=[obj.pk]):
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        with api_changes_tracked(campaign_ids=list(queryset.values_list("pk", flat=True))):
            super().delete_queryset(request, queryset)
