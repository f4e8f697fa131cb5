"""A batch item stores the very rows a single post of the same contact stores: contact, event,
ledger, person, subscription and callback delivery, every column but ids and timestamps."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from typing import Any

import pytest
from django.test import Client

from contactsource.bulk import COPY_MIN_ROWS
from finance.models import CapCounter, LedgerEntry
from ingest.models import Contact, IntakeEvent
from subscriptions.models import CallbackDelivery, Person, Subscription
from tests.api_clients import make_entry, token_of
from tests.factories import CallbackEndpointFactory, CampaignFieldFactory, CapFactory

pytestmark = pytest.mark.django_db

CONTACT = {
    "email": "Same.Person@Example.com",
    "phone": "(727) 287-0426",
    "mobile": "+1 813 555 0142",
    "firstname": " Greg ",
    "lastname": "Scott",
    "address1": "100 Main St",
    "city": "Tampa",
    "state": "Florida",
    "zipcode": "33602",
    "country": "United States",
    "ip": "203.0.113.7, 10.0.0.1",
    "utm_source": "newsletter",
    "url": "https://example.com/landing",
    "favourite_colour": "blue",
    "not_a_field": "dropped with a soft error",
}
# Set per row by the database or the clock, or different by nature between one request and
# a batch of them: the request id and timing of the request, the item's place in its batch.
IDS_AND_TIMES = {
    "id",
    "contact_id",
    "person_id",
    "subscription_id",
    "created_at",
    "updated_at",
    "opt_in_date",
    "event_date",
    "next_attempt_at",
    "retry_until",
    "public_id",
    "event_id",
    "request_id",
    "duration",
    "batch_index",
}


def post(entry: Any, body: Any, route: str) -> Any:
    response = Client().post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/{route}",
        json.dumps(body),
        content_type="application/json",
        headers={"token": token_of(entry.source)},
    )
    assert response.status_code == 200, response.json()
    return response.json()


def columns(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in IDS_AND_TIMES}


def stored_rows(contact: Contact) -> dict[str, Any]:
    """Every row the contact's intake wrote, linked by their ids, then the ids left out."""
    event = IntakeEvent.objects.filter(contact_id=contact.pk).values().get()
    ledger = list(LedgerEntry.objects.filter(contact_id=contact.pk).order_by("id").values())
    subscription = Subscription.objects.filter(contact_id=contact.pk).values().get()
    person = Person.objects.filter(pk=subscription["person_id"]).values().get()
    deliveries = list(
        CallbackDelivery.objects.filter(contact_id=contact.pk).order_by("endpoint_id").values()
    )
    assert all(d["subscription_id"] == subscription["id"] for d in deliveries)
    assert all(d["next_attempt_at"] <= d["retry_until"] for d in deliveries)
    opt_in = subscription["opt_in_date"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for delivery in deliveries:
        # The body names the person by its public id, which is random, and the time.
        assert delivery["payload"]["person"]["id"] == str(person["public_id"])
        assert delivery["payload"]["opt_in_date"] == opt_in
        text = json.dumps(delivery["payload"]).replace(str(person["public_id"]), "<person>")
        delivery["payload"] = json.loads(text.replace(opt_in, "<opt_in_date>"))
        assert delivery["event_date"] == subscription["opt_in_date"] == contact.created_at
    assert event["fields_stored"] and event["created_at"] == contact.created_at
    assert person["created_at"] and person["updated_at"]
    return {
        "contact": columns(Contact.objects.filter(pk=contact.pk).values().get()),
        "event": columns(event),
        "ledger": [columns(row) for row in ledger],
        "person": columns(person),
        "subscription": columns(subscription),
        "deliveries": [columns(row) for row in deliveries],
    }


def forget_everything() -> None:
    for model in (CallbackDelivery, Subscription, Person, LedgerEntry, IntakeEvent, Contact):
        model.objects.all().delete()
    CapCounter.objects.all().delete()


@pytest.mark.parametrize("size", [1, COPY_MIN_ROWS + 5], ids=["insert", "copy"])
@pytest.mark.parametrize("known_person", [False, True], ids=["new-person", "known-person"])
def test_a_batch_item_stores_what_a_single_post_of_it_stores(size, known_person):
    entry = make_entry()
    CampaignFieldFactory(campaign=entry.campaign, key="favourite_colour", type="text")
    CapFactory(campaign=entry.campaign, source=entry.source, limit=1000, duration="P1D")
    CallbackEndpointFactory()
    CallbackEndpointFactory(campaigns=[entry.campaign])

    def person_known_before() -> None:
        if known_person:
            # Known by the mobile phone, with blanks the contact fills.
            Person.objects.create(mobile_phone="+18135550142", last_name="Known")

    person_known_before()
    single = post(entry, CONTACT, "contact")
    assert single["success"] is True
    by_single = stored_rows(Contact.objects.get())
    forget_everything()

    person_known_before()
    others = [{"email": f"other{i}@example.com"} for i in range(size - 1)]
    batch = post(entry, {"contacts": [*others[:2], CONTACT, *others[2:]]}, "contacts")
    assert [r["status"] for r in batch["results"]] == ["accepted"] * size
    item = batch["results"][min(2, size - 1)]
    assert item["errors"] == single["errors"]
    by_batch = stored_rows(Contact.objects.get(pk=item["contact"]["id"]))

    assert by_batch == by_single
    assert len(by_batch["ledger"]) == 2 and len(by_batch["deliveries"]) == 2
    assert by_batch["contact"]["custom"] == {"favourite_colour": "blue"}
