from __future__ import annotations

from contactsource.api import CreatedRangeFilterSet, IdFilter
from finance.models import Cap, LedgerEntry


class CapFilterSet(CreatedRangeFilterSet):
    campaign = IdFilter(field_name="campaign_id", help_text="Campaign id.")
    source = IdFilter(field_name="source_id", help_text="Source id.")

    class Meta:
        model = Cap
        fields = ["campaign", "source", "kind", "scope", "is_active"]


class LedgerEntryFilterSet(CreatedRangeFilterSet):
    campaign = IdFilter(field_name="campaign_id", help_text="Campaign id.")
    source = IdFilter(field_name="source_id", help_text="Source id.")
    contact = IdFilter(field_name="contact_id", help_text="Contact id.")

    class Meta:
        model = LedgerEntry
        fields = ["campaign", "source", "contact", "kind", "utm_source"]
