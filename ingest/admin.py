from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ingest.models import Contact, IntakeEvent


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
    list_display = ("id", "created_at", "status", "http_status", "source", "campaign", "contact_id")
    list_filter = ("status", "http_status", "is_test", "source", "campaign")
    search_fields = ("email", "phone", "request_id")
    list_select_related = ("source", "campaign")
    date_hierarchy = "created_at"
