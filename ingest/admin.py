from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from campaigns.admin import CampaignAdmin
from ingest.admin_views import imports, timeline
from ingest.models import Contact, ContactImport, IntakeEvent
from sources.models import SourceCampaign


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "status", "source", "campaign", "email", "phone")
    list_filter = ("status", "source", "campaign")
    search_fields = ("email", "phone", "mobile", "external_id")
    list_select_related = ("source", "campaign")
    date_hierarchy = "created_at"


@admin.register(IntakeEvent)
class IntakeEventAdmin(ReadOnlyAdmin):
    """The list is the transactions timeline (keyset pages, filters, CSV export)."""

    list_select_related = ("source", "campaign")

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


@admin.register(ContactImport)
class ContactImportAdmin(admin.ModelAdmin):
    """Add is the upload page, change is the progress and summary page."""

    list_display = (
        "id",
        "created_at",
        "filename",
        "source",
        "campaign",
        "status",
        "rows_imported",
        "rows_invalid",
        "rows_duplicate",
        "created_by",
    )
    list_filter = ("status", "source", "campaign")
    list_select_related = ("source", "campaign", "created_by")
    search_fields = ("filename",)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("content")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # an import is uploaded, mapped and run, never edited

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return imports.upload_view(request)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return imports.progress_view(request, object_id)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/mapping/",
                wrap(imports.mapping_view),
                name="ingest_contactimport_mapping",
            ),
            path(
                "<path:object_id>/progress.json",
                wrap(imports.progress_json_view),
                name="ingest_contactimport_progress",
            ),
            path(
                "<path:object_id>/problems.csv",
                wrap(imports.problems_csv_view),
                name="ingest_contactimport_problems",
            ),
            *super().get_urls(),
        ]


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


# Added from here: campaigns may not import sources (STYLE.md); ingest imports both.
CampaignAdmin.inlines = [*CampaignAdmin.inlines, CampaignSourceInline]
