"""contactsource.bulk: COPY writes the same rows bulk_create would, and sets their ids; rows
given as plain tuples come out as instances of the model would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from contactsource.bulk import COPY_MIN_ROWS, bulk_insert, bulk_insert_rows
from ingest.models import Contact, IntakeEvent
from subscriptions.models import CallbackDelivery, DeliveryStatus, EventType, Person, Subscription
from tests.factories import CallbackEndpointFactory, SourceCampaignFactory

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


def people_rows(count: int) -> list[tuple[str, str | None]]:
    return [(f"r{i}@example.com", f"+1727555{i:04d}" if i % 2 else None) for i in range(count)]


def stored_people() -> list[dict]:
    rows = Person.objects.order_by("email").values()
    skip = {"id", "public_id", "created_at", "updated_at"}
    return [{k: v for k, v in row.items() if k not in skip} for row in rows]


@pytest.mark.parametrize("count", [3, COPY_MIN_ROWS + 5], ids=["insert", "copy"])
def test_rows_without_instances_take_the_defaults_instances_would(count):
    columns = ("email", "mobile_phone")
    before = timezone.now()
    ids = bulk_insert_rows(Person, columns, people_rows(count))
    after = timezone.now()
    stored = list(Person.objects.order_by("id"))
    by_rows = stored_people()
    Person.objects.all().delete()
    bulk_insert(Person, [Person(email=e, mobile_phone=m) for e, m in people_rows(count)])

    assert [p.pk for p in stored] == ids
    assert len({p.public_id for p in stored}) == count  # a uuid4 per row, as per instance
    assert all(before <= p.created_at <= p.updated_at <= after for p in stored)
    assert by_rows == stored_people()
    assert by_rows[0]["custom_fields"] == {} and by_rows[0]["external_id"] is None


def test_a_delivery_row_gets_the_models_status_and_attempts():
    entry = SourceCampaignFactory.create()
    endpoint = CallbackEndpointFactory.create()
    person = Person.objects.create(email="d@example.com")
    subscription = Subscription.objects.create(
        person=person, campaign=entry.campaign, opt_in_date=timezone.now()
    )
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    rows = [
        (
            endpoint.pk,
            subscription.pk,
            uuid.uuid4(),
            EventType.SUBSCRIPTION_ADDED,
            at,
            {"n": i},
            at,
            at,
        )
        for i in range(COPY_MIN_ROWS)
    ]
    columns = (
        "endpoint_id",
        "subscription_id",
        "event_id",
        "event_type",
        "event_date",
        "payload",
        "next_attempt_at",
        "retry_until",
    )

    ids = bulk_insert_rows(CallbackDelivery, columns, rows)

    stored = list(CallbackDelivery.objects.filter(pk__in=ids).order_by("id"))
    assert [d.pk for d in stored] == ids
    assert [d.payload for d in stored] == [{"n": i} for i in range(COPY_MIN_ROWS)]
    assert {(d.status, d.attempts, d.last_error, d.enqueued_at) for d in stored} == {
        (DeliveryStatus.PENDING, 0, "", None)
    }
    assert all(d.created_at and d.event_type == "subscription_added" for d in stored)


def test_rows_name_real_columns_and_leave_the_clock_to_the_model():
    with pytest.raises(TypeError, match="unknown"):
        bulk_insert_rows(Person, ("email", "nickname"), [("a@b.co", "A")] * COPY_MIN_ROWS)
    with pytest.raises(TypeError, match="set on save"):
        bulk_insert_rows(Person, ("email", "updated_at"), [("a@b.co", None)] * COPY_MIN_ROWS)
    assert not Person.objects.exists()
