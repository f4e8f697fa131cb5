"""The back office's additions to other apps' admin pages (lower apps never reach up)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from campaigns.admin import CampaignAdmin
from contactsource.admin_site import page_extras_add
from sources.models import SourceCampaign


class CampaignSourceInline(admin.TabularInline):
    """The sources feeding a campaign (their whitelist entries), read-only: edit on the source."""

    model = SourceCampaign
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("source_link", "is_active", "cost", "scrub_rate", "real_time", "duplicate_window")
    readonly_fields = fields
    verbose_name = "source feeding this campaign"
    verbose_name_plural = "sources feeding this campaign"

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("source")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="source")
    def source_link(self, entry: SourceCampaign) -> str:
        url = reverse("admin:sources_source_change", args=[entry.source_id])
        return format_html('<a href="{}">{}</a>', url, entry.source.name)


# Added from here: campaigns may not import sources (STYLE.md); the back office imports both.
CampaignAdmin.inlines = [*CampaignAdmin.inlines, CampaignSourceInline]

# The docs, timeline and import links and the stats, caps and returns panels of the source and
# campaign pages: they show other apps' pages and figures, which sources and campaigns may not
# reach. The returns panel comes after the stats panel, whose range its charts follow.
for _model in ("sources.source", "campaigns.campaign"):
    page_extras_add(
        _model, links="admin/cs/object_links.html", panels="admin/cs/object_panels.html"
    )
    page_extras_add(_model, panels="admin/cs/quality_panel.html")
