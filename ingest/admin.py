from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from finance.models import LedgerEntry
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
