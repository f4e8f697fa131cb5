from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from imports import admin_views
from imports.models import ContactImport


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
        return admin_views.upload_view(request)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return admin_views.progress_view(request, object_id)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/mapping/",
                wrap(admin_views.mapping_view),
                name="imports_contactimport_mapping",
            ),
            path(
                "<path:object_id>/progress.json",
                wrap(admin_views.progress_json_view),
                name="imports_contactimport_progress",
            ),
            path(
                "<path:object_id>/problems.csv",
                wrap(admin_views.problems_csv_view),
                name="imports_contactimport_problems",
            ),
            *super().get_urls(),
        ]
