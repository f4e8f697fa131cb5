from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from finance.models import LedgerEntry
from ingest.eventlog import MAX_LOGGED_VALUE, cut_lengths
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

    def get_deleted_objects(
        self, objs: Sequence[Any] | QuerySet[Any], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """A contact the ledger charged stays: the ledger keeps a plain contact id, not a foreign
        key (finance sits below ingest), so its protection is spelled out here."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        entries = LedgerEntry.objects.filter(contact_id__in=[obj.pk for obj in objs])
        name = capfirst(LedgerEntry._meta.verbose_name)
        protected = [
            *protected,
            *(
                # As Django lists protected objects: "Ledger entry: <link to the entry>".
                format_html(
                    '{}: <a href="{}">{}</a>',
                    name,
                    reverse("admin:finance_ledgerentry_change", args=[quote(entry.pk)]),
                    entry,
                )
                for entry in entries.order_by("pk")
            ),
        ]
        return deleted, counts, perms_needed, protected


@admin.register(IntakeEvent)
class IntakeEventAdmin(ReadOnlyAdmin):
    """Its list is the transactions timeline, which the reports app puts in (reports/admin.py)."""

    list_select_related = ("source", "campaign")
    readonly_fields = ("values_cut",)

    class Media:
        css = {"all": ("cs_admin/admin.css",)}  # the "cut" badge

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        """Every field, with "values cut" just before the fields provided it speaks of."""
        fields = [f for f in super().get_fields(request, obj) if f != "values_cut"]
        at = fields.index("fields_provided") if "fields_provided" in fields else len(fields)
        return [*fields[:at], "values_cut", *fields[at:]]

    @admin.display(description="values cut")
    def values_cut(self, obj: IntakeEvent) -> str:
        """Which posted values the log kept only the start of (ingest/eventlog.py)."""
        cut = cut_lengths(obj.fields_provided)
        if not cut:
            return "none"
        return format_html_join(
            "; ",
            '<span class="cs-badge cs-cut">cut</span> {}: {} characters posted, the first {} kept',
            ((key, f"{length:,}", f"{MAX_LOGGED_VALUE:,}") for key, length in cut.items()),
        )
