from __future__ import annotations

from contactsource.api import CreatedRangeFilterSet, IdFilter
from ingest.models import Contact, IntakeEvent


class ContactFilterSet(CreatedRangeFilterSet):
    source = IdFilter(field_name="source_id", help_text="Source id.")
    campaign = IdFilter(field_name="campaign_id", help_text="Campaign id.")

    class Meta:
        model = Contact
        fields = ["source", "campaign", "status", "email", "phone", "external_id", "utm_source"]


class IntakeEventFilterSet(CreatedRangeFilterSet):
    source = IdFilter(field_name="source_id", help_text="Source id.")
    campaign = IdFilter(field_name="campaign_id", help_text="Campaign id.")
    contact = IdFilter(field_name="contact_id", help_text="Contact id.")
    http_status = IdFilter(help_text="The HTTP status the intake answered, such as 409.")

    class Meta:
        model = IntakeEvent
        fields = ["source", "campaign", "status", "http_status", "is_test", "request_id", "contact"]
