"""A batch into a real-time entry asks the primary buyer about each item, in order."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from django.test import Client

from ingest.models import Contact
from tests.api_clients import token_of
from tests.callback_doubles import callback_route
from tests.factories import CallbackEndpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_callbacks")]

PRIMARY = "http://buyer.test/offer"


@respx.mock
def test_each_item_gets_the_buyers_own_answer(person_entry):
    person_entry.real_time = True
    person_entry.save()
    CallbackEndpointFactory.create(url=PRIMARY, is_primary=True, campaigns=[person_entry.campaign])
    route = callback_route(PRIMARY).mock(
        side_effect=[httpx.Response(200), httpx.Response(409), httpx.Response(200)]
    )
    contacts = [{"email": f"rt{i}@example.com"} for i in range(3)]

    response = Client().post(
        f"/source/{person_entry.source_id}/campaign/{person_entry.campaign_id}/contacts",
        json.dumps({"contacts": contacts}),
        content_type="application/json",
        headers={"token": token_of(person_entry.source)},
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert route.call_count == 3
    assert sorted(Contact.objects.values_list("status", flat=True)) == [
        "accepted",
        "accepted",
        "rejected",
    ]


@respx.mock
def test_items_without_an_identity_are_scrubbed_each_on_its_own_as_in_any_batch(person_entry):
    # No email or phone: the scrub bucket is seeded by the batch's request id and the item's
    # index, on the real-time path as on the set-based one (it used to share one seed, so a
    # whole real-time batch was scrubbed, or not, as one).
    person_entry.real_time, person_entry.scrub_rate = True, 50
    person_entry.save()
    CallbackEndpointFactory.create(url=PRIMARY, is_primary=True, campaigns=[person_entry.campaign])
    callback_route(PRIMARY).mock(return_value=httpx.Response(200))
    contacts = [{"firstname": f"Nobody {i}"} for i in range(40)]

    response = Client().post(
        f"/source/{person_entry.source_id}/campaign/{person_entry.campaign_id}/contacts",
        json.dumps({"contacts": contacts}),
        content_type="application/json",
        headers={"token": token_of(person_entry.source)},
    )

    assert response.status_code == 200
    statuses = set(Contact.objects.values_list("status", flat=True))
    assert statuses == {"accepted", "scrubbed"}
