"""A request thread's posts to one entry reuse the objects its previous post built, while the
database rows they come from are the same: the entry with its source and campaign
(ingest.entryread), and the caps (ingest.hotcache). Any change to a row builds new objects."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from finance.models import Cap
from ingest.entryread import entry_read
from ingest.hotcache import caps_cached
from sources.models import Source, SourceCampaign
from tests.factories import CapFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


def read(entry: SourceCampaign) -> SourceCampaign:
    found = entry_read(source_id=entry.source_id, campaign_id=entry.campaign_id)
    assert found is not None
    return found


def test_an_unchanged_entry_row_gives_the_same_objects_and_any_change_new_ones():
    entry = SourceCampaignFactory.create(scrub_rate=0)
    first = read(entry)
    again = read(entry)
    assert again is first and again.source is first.source and again.campaign is first.campaign

    SourceCampaign.objects.filter(pk=entry.pk).update(scrub_rate=25)
    changed = read(entry)
    assert changed is not first and changed.scrub_rate == 25

    # A column of the source's (not the entry's own) is in the row too.
    Source.objects.filter(pk=entry.source_id).update(name="Renamed vendor")
    renamed = read(entry)
    assert renamed is not changed and renamed.source.name == "Renamed vendor"

    # Another entry in between: each keeps its own objects.
    other = SourceCampaignFactory.create()
    theirs = read(other)
    assert theirs.pk == other.pk
    assert read(entry) is renamed and read(other) is theirs


@pytest.mark.django_db(transaction=True)
def test_another_thread_never_gets_this_threads_objects():
    entry = SourceCampaignFactory.create()
    mine = read(entry)
    theirs: list[SourceCampaign] = []

    def other_thread() -> None:
        from django.db import connection

        try:
            theirs.append(read(entry))
        finally:
            connection.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert len(theirs) == 1 and theirs[0].pk == mine.pk
    assert theirs[0] is not mine and theirs[0].campaign is not mine.campaign
    assert read(entry) is mine


def caps_digest(entry: SourceCampaign) -> str:
    """The digest the entry read annotates (ingest.hotcache)."""
    digest: str = getattr(read(entry), "caps_digest")  # noqa: B009 (an annotation, not a field)
    return digest


def caps_of(entry: SourceCampaign, digest: str) -> list[Cap]:
    return caps_cached(
        campaign_id=entry.campaign_id, source_id=entry.source_id, utm_source="", digest=digest
    )


def test_the_caps_are_the_same_objects_under_one_digest_in_a_new_list():
    entry = SourceCampaignFactory.create()
    CapFactory.create(campaign=entry.campaign, duration="day", limit=5)
    digest = caps_digest(entry)
    first = caps_of(entry, digest)
    again = caps_of(entry, digest)
    assert [c.pk for c in first] == [c.pk for c in again] and len(first) == 1
    assert again[0] is first[0] and again is not first

    # Another campaign's caps in between do not push this campaign's out.
    other = SourceCampaignFactory.create()
    CapFactory.create(campaign=other.campaign, duration="day", limit=9)
    assert caps_of(other, caps_digest(other))[0].limit == 9
    assert caps_of(entry, digest)[0] is first[0]

    Cap.objects.filter(campaign=entry.campaign).update(
        limit=Decimal("7"), updated_at=datetime.now(UTC)
    )
    new_digest = caps_digest(entry)
    assert new_digest != digest
    changed = caps_of(entry, new_digest)
    assert changed[0] is not first[0] and changed[0].limit == 7
