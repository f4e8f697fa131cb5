from __future__ import annotations

import django_filters

from campaigns.models import Campaign, CampaignField
from contactsource.api import CreatedRangeFilterSet, IdFilter


class CampaignFilterSet(CreatedRangeFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Campaign
        fields = ["name", "is_published"]


class CampaignFieldFilterSet(CreatedRangeFilterSet):
    campaign = IdFilter(field_name="campaign_id", help_text="Campaign id.")

    class Meta:
        model = CampaignField
        fields = ["campaign", "key", "type", "required"]
