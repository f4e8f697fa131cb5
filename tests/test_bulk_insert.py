"""contactsource.bulk: COPY writes the same rows bulk_create would, and sets their ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from contactsource.bulk import COPY_MIN_ROWS, bulk_insert
from ingest.models import Contact, IntakeEvent
from subscriptions.models import Person
from tests.factories import SourceCampaignFactory

pytestmark = pytest.mark.django_db


def events(entry, count: int) -> list[IntakeEvent]:
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    return [
        IntakeEvent(
            request_id=uuid.uuid4(),
            source=entry.source,
            campaign=entry.campaign if i % 2 else None,
            requested_source_id=str(entry.source_id),
            requested_campaign_id="x" if i % 2 == 0 else str(entry.campaign_id),
            status="accepted",
            http_status=200,
            cost=Decimal("2.5000"),
            revenue=None,
            errors={"email": 'a "quoted"\tvalue\\ with, a comma\n'} if i == 3 else None,
            fields_provided={"n": i, "list": ["a", "b"], "nested": {"ü": "ß"}},
            fields_stored={},
            email=f"e{i}@example.com",
            client_ip="203.0.113.9" if i % 3 else None,
            duration=0.25,
            batch_index=i,
            created_at=at,
        )
        for i in range(count)
    ]


def test_it_writes_every_column_as_bulk_create_does_and_sets_the_ids():
    assert connection.vendor == "postgresql"
    entry = SourceCampaignFactory.create()
    copied = events(entry, COPY_MIN_ROWS + 5)
    created = events(entry, COPY_MIN_ROWS + 5)

    bulk_insert(IntakeEvent, copied)
    IntakeEvent.objects.bulk_create(created)

    assert all(e.pk for e in copied) and len({e.pk for e in copied}) == len(copied)
    assert all(not e._state.adding for e in copied)
    columns = [f.attname for f in IntakeEvent._meta.concrete_fields if f.attname != "id"]
    columns.remove("request_id")
    rows = IntakeEvent.objects.order_by("batch_index")
    by_copy = list(rows.filter(pk__in=[e.pk for e in copied]).values(*columns))
    by_orm = list(rows.filter(pk__in=[e.pk for e in created]).values(*columns))
    assert by_copy == by_orm
    assert by_copy[3]["errors"] == {"email": 'a "quoted"\tvalue\\ with, a comma\n'}


def test_the_sequence_moves_on_so_later_inserts_do_not_collide():
    entry = SourceCampaignFactory.create()
    copied = bulk_insert(IntakeEvent, events(entry, COPY_MIN_ROWS))
    (later,) = IntakeEvent.objects.bulk_create(events(entry, 1))

    assert later.pk > max(e.pk for e in copied)


def test_auto_now_add_columns_are_filled():
    entry = SourceCampaignFactory.create()
    people = [Person(email=f"p{i}@example.com") for i in range(COPY_MIN_ROWS)]

    bulk_insert(Person, people)

    stored = Person.objects.filter(pk__in=[p.pk for p in people])
    assert stored.count() == COPY_MIN_ROWS
    assert all(p.created_at and p.updated_at and p.public_id for p in stored)
    assert entry.pk  # the factory's rows are untouched


def test_a_constraint_violation_raises_and_writes_nothing():
    Person.objects.create(mobile_phone="+17272870426")
    people = [Person(mobile_phone=f"+1727287{i:04d}") for i in range(COPY_MIN_ROWS)]
    people.append(Person(mobile_phone="+17272870426"))

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(Person, people)

    assert Person.objects.count() == 1


def test_a_few_rows_take_the_plain_insert():
    entry = SourceCampaignFactory.create()
    contacts = [
        Contact(
            source=entry.source,
            campaign=entry.campaign,
            status="accepted",
            email="a@b.co",
            created_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
    ]

    bulk_insert(Contact, contacts)

    assert Contact.objects.get().pk == contacts[0].pk
