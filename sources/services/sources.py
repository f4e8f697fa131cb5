"""Writes for sources and their whitelist entries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contactsource.api_changes import api_changes_tracked
from contactsource.tokens import token_generate, token_hash
from sources.models import Source, SourceCampaign


@transaction.atomic
def source_create(*, name: str, **fields: Any) -> tuple[Source, str]:
    """Create a source; returns it and its token, which is never readable again."""
    token = token_generate()
    source = Source(name=name, token_hash=token_hash(token), **fields)
    source.full_clean()
    source.save()
    return source, token


@transaction.atomic
def source_rotate_token(*, source: Source, grace_seconds: int | None = None) -> str:
    """Issue a new token; the old one keeps working for the grace period (0 ends it at once)."""
    grace = settings.TOKEN_ROTATION_GRACE_SECONDS if grace_seconds is None else grace_seconds
    now = timezone.now()
    token = token_generate()
    source = Source.objects.select_for_update().get(pk=source.pk)
    source.previous_token_hash = source.token_hash if grace > 0 else ""
    source.previous_token_valid_until = now + timedelta(seconds=grace) if grace > 0 else None
    source.token_hash = token_hash(token)
    source.token_rotated_at = now
    source.save(
        update_fields=[
            "previous_token_hash",
            "previous_token_valid_until",
            "token_hash",
            "token_rotated_at",
            "updated_at",
        ]
    )
    return token


def source_campaign_set(
    *,
    source: Source,
    campaign_id: int,
    cost: Decimal | None = None,
    scrub_rate: int | None = None,
    **fields: Any,
) -> SourceCampaign:
    """Whitelist a campaign for a source (or update the existing entry)."""
    with api_changes_tracked(source_ids=[source.pk]):
        entry, _created = SourceCampaign.objects.get_or_create(
            source=source, campaign_id=campaign_id
        )
        if cost is not None:
            entry.cost = cost
        if scrub_rate is not None:
            entry.scrub_rate = scrub_rate
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.full_clean()
        entry.save()
    return entry


@transaction.atomic
def source_update(*, source: Source, **fields: Any) -> Source:
    """Change a source's settings (not its token: see source_rotate_token)."""
    for name, value in fields.items():
        setattr(source, name, value)
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def source_delete(*, source: Source) -> None:
    """Delete a source; refused (ProtectedError) while contacts or money rows refer to it."""
    source.delete()


@transaction.atomic
def source_campaign_delete(*, entry: SourceCampaign) -> None:
    """Take a campaign off a source's whitelist (the source is told: its API changed)."""
    with api_changes_tracked(source_ids=[entry.source_id]):
        entry.delete()
