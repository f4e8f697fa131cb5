"""A batch applies the single post's rules item by item: caps in order, scrub, money, persons,
subscriptions and callbacks, as the same contacts posted one after another would."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from finance.models import CapCounter, LedgerEntry
from ingest.models import Contact, IntakeEvent
from sources.models import SourceCampaign
from subscriptions.models import CallbackDelivery, Person, Subscription
from tests.api_clients import make_entry, token_of
from tests.factories import CallbackEndpointFactory, CapFactory

pytestmark = pytest.mark.django_db


def post(entry: SourceCampaign, contacts: Any, route: str = "contacts", **headers: str) -> Any:
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/{route}"
    body = {"contacts": contacts} if route == "contacts" else contacts
    response = Client().post(
        url,
        json.dumps(body),
        content_type="application/json",
        headers={"token": token_of(entry.source), **headers},
    )
    return response.status_code, response.json()


@pytest.mark.parametrize("duration", ["day", "P1D"])
def test_a_cap_admits_items_in_order_until_it_is_full(duration):
    entry = make_entry()
    cap = CapFactory.create(
        campaign=entry.campaign, source=entry.source, limit=2, duration=duration
    )

    _, body = post(entry, [{"email": f"c{i}@example.com"} for i in range(4)])

    assert [r["statusCode"] for r in body["results"]] == [200, 200, 429, 429]
    assert body["results"][2]["status"] == "limited"
    assert "Cap exceeded" in body["results"][2]["errors"]["429"]
    assert Contact.objects.count() == 2
    assert sum(c.used for c in CapCounter.objects.filter(cap=cap)) == 2
    # The counters hold for the next request too.
    code, single = post(entry, {"email": "later@example.com"}, route="contact")
    assert code == 429, single


def test_a_batch_counts_what_single_posts_already_took():
    entry = make_entry()
    CapFactory.create(campaign=entry.campaign, source=entry.source, limit=2, duration="day")
    assert post(entry, {"email": "first@example.com"}, route="contact")[0] == 200

    _, body = post(entry, [{"email": "a@example.com"}, {"email": "b@example.com"}])

    assert [r["statusCode"] for r in body["results"]] == [200, 429]


def test_a_budget_admits_the_item_that_brings_spending_exactly_to_it():
    entry = make_entry()  # cost 2.50 per accepted contact
    CapFactory.create(campaign=entry.campaign, kind="budget", limit=Decimal("5.00"))

    _, body = post(entry, [{"email": f"b{i}@example.com"} for i in range(3)])

    assert [r["statusCode"] for r in body["results"]] == [200, 200, 429]


def test_accepted_items_are_charged_and_scrubbed_ones_are_not():
    entry = make_entry(scrub_rate=100)
    _, body = post(entry, [{"email": "s@example.com"}])
    assert body["results"][0]["status"] == "rejected"  # scrubbed, as the source sees it
    assert Contact.objects.get().status == "scrubbed"
    assert not LedgerEntry.objects.exists()
    assert Subscription.objects.count() == 1  # the buyer keeps it

    entry.scrub_rate = 0
    entry.save()
    post(entry, [{"email": "paid@example.com"}])
    amounts = sorted((e.kind, e.amount) for e in LedgerEntry.objects.all())
    assert amounts == [("cost", Decimal("2.5000")), ("revenue", Decimal("5.0000"))]


def test_items_merge_into_one_person_as_posts_would():
    entry = make_entry()
    Person.objects.create(email="known@example.com", first_name="")
    contacts = [
        {"email": "known@example.com", "firstname": "Ada"},
        {"email": "new@example.com", "phone": "+17272870426"},
        {"email": "other@example.com", "phone": "+17272870426", "lastname": "Lovelace"},
    ]

    _, body = post(entry, contacts)

    assert [r["status"] for r in body["results"]] == ["accepted"] * 3
    assert Person.objects.count() == 2
    known = Person.objects.get(email="known@example.com")
    assert known.first_name == "Ada"  # a blank filled, never an overwrite
    by_phone = Person.objects.get(mobile_phone="+17272870426")
    assert by_phone.email == "new@example.com"
    assert by_phone.last_name == "Lovelace"
    assert Subscription.objects.count() == 2


def test_every_kept_item_writes_its_callback_with_its_own_event_id():
    entry = make_entry()
    endpoint = CallbackEndpointFactory.create()
    contacts = [{"email": "x@example.com"}, {"email": "y@example.com"}]

    post(entry, contacts)

    deliveries = list(CallbackDelivery.objects.order_by("contact_id"))
    assert [d.endpoint_id for d in deliveries] == [endpoint.pk, endpoint.pk]
    assert len({d.event_id for d in deliveries}) == 2
    assert [d.contact_id for d in deliveries] == list(
        Contact.objects.order_by("id").values_list("id", flat=True)
    )
    assert deliveries[0].payload["person"]["id"]


def test_a_test_batch_checks_caps_and_duplicates_but_stores_nothing():
    entry = make_entry()
    CapFactory.create(campaign=entry.campaign, source=entry.source, limit=1, duration="day")
    post(entry, {"email": "dup@example.com"}, route="contact")

    _, body = post(
        entry, [{"email": "dup@example.com"}, {"email": "z@example.com"}], **{"X-Test": "1"}
    )

    assert [r["statusCode"] for r in body["results"]] == [409, 429]
    assert Contact.objects.count() == 1
    assert IntakeEvent.objects.filter(is_test=True).count() == 2


def test_a_person_who_opted_out_is_subscribed_again():
    entry = make_entry()
    person = Person.objects.create(email="back@example.com")
    old = Subscription.objects.create(
        person=person,
        campaign=entry.campaign,
        opt_in_date=timezone.now() - timedelta(days=9),
        opt_out_date=timezone.now() - timedelta(days=3),
        opt_out_reason="user_opt_out",
    )

    post(
        entry, [{"email": "back@example.com"}, {"email": "back@example.com", "phone": "7272870426"}]
    )

    old.refresh_from_db()
    assert old.is_active
    assert old.acquisition_source_id == entry.source_id
    assert Subscription.objects.count() == 1
    # The phone makes the second item another identity: kept, and the person learns the phone.
    person.refresh_from_db()
    assert person.mobile_phone == "+17272870426"
