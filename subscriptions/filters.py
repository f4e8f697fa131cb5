from __future__ import annotations

from django.db.models import Q, QuerySet

from contactsource.api import CreatedRangeFilterSet, IdFilter
from subscriptions.models import CallbackDelivery, CallbackEndpoint


class CallbackEndpointFilterSet(CreatedRangeFilterSet):
    campaign = IdFilter(
        method="filter_campaign",
        help_text="Endpoints that receive this campaign's events (its own and all-campaign ones).",
    )

    class Meta:
        model = CallbackEndpoint
        fields = ["is_active", "is_primary", "campaign"]

    def filter_campaign(
        self, queryset: QuerySet[CallbackEndpoint], name: str, value: int
    ) -> QuerySet[CallbackEndpoint]:
        return queryset.filter(Q(campaigns=value) | Q(campaigns__isnull=True)).distinct()


class CallbackDeliveryFilterSet(CreatedRangeFilterSet):
    endpoint = IdFilter(field_name="endpoint_id", help_text="Callback endpoint id.")
    contact = IdFilter(field_name="contact_id", help_text="Contact id.")

    class Meta:
        model = CallbackDelivery
        fields = ["endpoint", "status", "event_type", "event_id", "contact"]
