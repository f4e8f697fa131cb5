"""A batch into a real-time entry asks the primary buyer about each item, in order."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from django.test import Client

from ingest.models import Contact
from tests.api_clients import token_of
from tests.factories import CallbackEndpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_callbacks")]

PRIMARY = "http://buyer.test/offer"


@respx.mock
def test_each_item_gets_the_buyers_own_answer(person_entry):
    person_entry.real_time = True
    person_entry.save()
    CallbackEndpointFactory.create(url=PRIMARY, is_primary=True, campaigns=[person_entry.campaign])
    route = respx.post(PRIMARY).mock(
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
