from __future__ import annotations

import django_filters

from contactsource.api import CreatedRangeFilterSet, IdFilter
from sources.models import Source, SourceCampaign


class SourceFilterSet(CreatedRangeFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Source
        fields = ["name", "is_published", "internal", "documentation_enabled"]


class SourceCampaignFilterSet(CreatedRangeFilterSet):
    source = IdFilter(field_name="source_id", help_text="Source id.")
    campaign = IdFilter(field_name="campaign_id", help_text="Campaign id.")

    class Meta:
        model = SourceCampaign
        fields = ["source", "campaign", "is_active", "real_time"]
