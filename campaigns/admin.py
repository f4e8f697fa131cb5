from __future__ import annotations

from django.contrib import admin

from campaigns.models import Campaign, CampaignField


class CampaignFieldInline(admin.TabularInline):
    model = CampaignField
    extra = 0
    fields = ("position", "key", "label", "type", "required", "choices", "example")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "is_published", "revenue", "phone_region", "timezone")
    list_filter = ("is_published",)
    search_fields = ("name", "description")
    inlines = [CampaignFieldInline]
    fieldsets = (
        (None, {"fields": ("name", "description", "revenue")}),
        ("Publishing", {"fields": ("is_published", "publish_up", "publish_down")}),
        ("Locale", {"fields": ("phone_region", "timezone")}),
    )
