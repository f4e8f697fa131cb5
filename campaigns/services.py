"""Writes for campaigns and their fields."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaigns.models import Campaign, CampaignField
from contactsource.api_changes import api_changes_tracked


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


@transaction.atomic
def campaign_update(*, campaign: Campaign, **attrs: Any) -> Campaign:
    # Its name and published flag are part of every whitelisted source's API.
    with api_changes_tracked(campaign_ids=[campaign.pk]):
        for name, value in attrs.items():
            setattr(campaign, name, value)
        campaign.full_clean()
        campaign.save()
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign; refused (ProtectedError) while contacts or money rows refer to it."""
    with api_changes_tracked(campaign_ids=[campaign.pk]):
        campaign.delete()


def campaign_field_create(*, campaign: Campaign, key: str, **attrs: Any) -> CampaignField:
    # A new field changes the API of every source whitelisted for the campaign.
    with api_changes_tracked(campaign_ids=[campaign.pk]):
        field = CampaignField(campaign=campaign, key=key, **attrs)
        field.full_clean()
        field.save()
    return field


@transaction.atomic
def campaign_field_update(*, field: CampaignField, **attrs: Any) -> CampaignField:
    with api_changes_tracked(campaign_ids=[field.campaign_id]):
        for name, value in attrs.items():
            setattr(field, name, value)
        field.full_clean()
        field.save()
    return field


@transaction.atomic
def campaign_field_delete(*, field: CampaignField) -> None:
    with api_changes_tracked(campaign_ids=[field.campaign_id]):
        field.delete()
