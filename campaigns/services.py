"""Writes for campaigns and their fields."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaigns.models import Campaign, CampaignField


@transaction.atomic
def campaign_create(
    *, name: str, fields: list[dict[str, Any]] | None = None, **attrs: Any
) -> Campaign:
    campaign = Campaign(name=name, **attrs)
    campaign.full_clean()
    campaign.save()
    for position, spec in enumerate(fields or []):
        campaign_field_create(campaign=campaign, position=position, **spec)
    return campaign


def campaign_field_create(*, campaign: Campaign, key: str, **attrs: Any) -> CampaignField:
    field = CampaignField(campaign=campaign, key=key, **attrs)
    field.full_clean()
    field.save()
    return field
