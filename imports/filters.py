from __future__ import annotations

from contactsource.api import CreatedRangeFilterSet, IdFilter
from imports.models import ContactImport


class ContactImportFilterSet(CreatedRangeFilterSet):
    source = IdFilter(field_name="source_id", help_text="Source id.")
    campaign = IdFilter(field_name="campaign_id", help_text="Campaign id.")

    class Meta:
        model = ContactImport
        fields = ["source", "campaign", "status"]
