"""Reads for sources."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from sources.changes import ApiSnapshot, CampaignSnapshot, FieldSnapshot
from sources.models import Source, SourceCampaign, SourceChange


def source_documented_entries(*, source: Source) -> QuerySet[SourceCampaign]:
    """The whitelist entries a partner sees: active, into a published campaign, by name.

    Publishing windows are not applied here: the page and the changelog describe the API, and a
    window opening or closing is not an edit anybody could be notified about.
    """
    return (
        SourceCampaign.objects.filter(source=source, is_active=True, campaign__is_published=True)
        .select_related("campaign")
        .prefetch_related("campaign__fields")
        .order_by("campaign__name", "campaign_id")
    )


def source_ids_for_campaigns(*, campaign_ids: Iterable[int]) -> set[int]:
    ids = [pk for pk in campaign_ids if pk is not None]
    if not ids:
        return set()
    return set(
        SourceCampaign.objects.filter(campaign_id__in=ids).values_list("source_id", flat=True)
    )


def source_api_snapshots(*, source_ids: Iterable[int]) -> dict[int, ApiSnapshot]:
    """What each source's partner can post: campaigns and their own fields.

    Reads campaigns through the whitelist's relations (the string FK), so sources never imports
    the campaigns app.
    """
    ids = sorted(set(source_ids))
    snapshots: dict[int, ApiSnapshot] = {pk: {} for pk in ids}
    if not ids:
        return snapshots
    entries = (
        SourceCampaign.objects.filter(
            source_id__in=ids, is_active=True, campaign__is_published=True
        )
        .select_related("campaign")
        .prefetch_related("campaign__fields")
    )
    for entry in entries:
        campaign = entry.campaign
        fields = {
            field.key: FieldSnapshot(
                type=field.type,
                required=field.required,
                choices=tuple(str(choice) for choice in (field.choices or [])),
            )
            for field in campaign.fields.all()
        }
        snapshots[entry.source_id][campaign.pk] = CampaignSnapshot(
            name=campaign.name, fields=fields
        )
    return snapshots


def source_changes_recent(*, source: Source, limit: int = 50) -> QuerySet[SourceChange]:
    return SourceChange.objects.filter(source=source).order_by("-created_at", "-id")[:limit]
