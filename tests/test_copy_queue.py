"""contactsource.copyqueue: COPYs on a helper thread store what they would store in line, in the
order given, and a failed one fails the caller's transaction."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from contactsource.bulk import COPY_MIN_ROWS, bulk_insert_rows
from contactsource.copyqueue import SWITCH_INTERVAL, copies_overlapped
from ingest.models import Contact, IntakeEvent
from tests.factories import SourceCampaignFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
COUNT = COPY_MIN_ROWS + 3
CONTACT = ("source_id", "campaign_id", "status", "identity_hash", "custom", "created_at", "email")
EVENT = ("request_id", "source_id", "contact_id", "status", "http_status", "created_at")


def contacts(entry, count: int = COUNT, *, source_id: int | None = None) -> list[tuple]:
    source = entry.source_id if source_id is None else source_id
    return [
        (source, entry.campaign_id, "accepted", f"h{i}", {}, AT, f"c{i}@example.com")
        for i in range(count)
    ]


def events(entry, contact_ids: list[int]) -> list[tuple]:
    return [
        (uuid.uuid4(), entry.source_id, contact_id, "accepted", 200, AT)
        for contact_id in contact_ids
    ]


def test_it_returns_the_ids_drawn_first_and_stores_every_row_under_them():
    entry = SourceCampaignFactory.create()
    with transaction.atomic(), copies_overlapped({Contact: COUNT, IntakeEvent: COUNT}):
        contact_ids = bulk_insert_rows(Contact, CONTACT, contacts(entry))
        event_ids = bulk_insert_rows(IntakeEvent, EVENT, events(entry, contact_ids))

    stored = dict(Contact.objects.values_list("id", "email"))
    assert stored == {cid: f"c{i}@example.com" for i, cid in enumerate(contact_ids)}
    assert dict(IntakeEvent.objects.values_list("id", "contact_id")) == dict(
        zip(event_ids, contact_ids, strict=True)
    )


def test_a_statement_after_a_queued_copy_sees_its_rows():
    entry = SourceCampaignFactory.create()
    with transaction.atomic(), copies_overlapped({Contact: COUNT}):
        bulk_insert_rows(Contact, CONTACT, contacts(entry))
        assert Contact.objects.count() == COUNT


def test_a_failed_copy_fails_the_transaction_and_stores_nothing():
    entry = SourceCampaignFactory.create()
    missing_source = entry.source_id + 1000

    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        copies_overlapped({Contact: COUNT, IntakeEvent: COUNT}),
    ):
        ids = bulk_insert_rows(Contact, CONTACT, contacts(entry, source_id=missing_source))
        bulk_insert_rows(IntakeEvent, EVENT, events(entry, ids))

    assert not Contact.objects.exists() and not IntakeEvent.objects.exists()


def test_the_foreign_keys_are_checked_at_commit_again_after_the_block():
    entry = SourceCampaignFactory.create()
    with transaction.atomic():
        with copies_overlapped({Contact: COUNT}):
            bulk_insert_rows(Contact, CONTACT, contacts(entry))
        # Deferred again: a row pointing nowhere is only refused if it still does at COMMIT.
        orphan = Contact.objects.create(
            source_id=entry.source_id + 1000,
            campaign_id=entry.campaign_id,
            status="accepted",
            created_at=AT,
        )
        orphan.source_id = entry.source_id
        orphan.save(update_fields=["source_id"])

    assert Contact.objects.count() == COUNT + 1


def test_fewer_rows_than_copy_takes_go_in_line():
    entry = SourceCampaignFactory.create()
    with transaction.atomic(), copies_overlapped({Contact: 2}):
        ids = bulk_insert_rows(Contact, CONTACT, contacts(entry, 2))

    assert sorted(Contact.objects.values_list("id", flat=True)) == sorted(ids)


def test_the_switch_interval_is_short_while_copies_run_and_put_back_after():
    entry = SourceCampaignFactory.create()
    before = sys.getswitchinterval()
    with transaction.atomic(), copies_overlapped({Contact: COUNT}):
        bulk_insert_rows(Contact, CONTACT, contacts(entry))
        during = sys.getswitchinterval()

    assert during == min(SWITCH_INTERVAL, before)
    assert sys.getswitchinterval() == before
