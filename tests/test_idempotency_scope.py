"""Idempotency-Key as the IETF draft and Stripe: scoped to source, campaign and test flag, bound
to the body, never cut. A key reused for another lead must not silently drop it."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from django.db import connections
from django.test import Client

from ingest.models import Contact, IntakeEvent
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

KEY = {"Idempotency-Key": "order-1"}


def post_raw(client, entry, raw: str, content_type: str = "application/json", **headers):
    headers.setdefault("token", entry.source.token)
    return client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        raw,
        content_type=content_type,
        headers=headers,
    )


def test_it_refuses_the_same_key_with_another_body_with_422_and_keeps_nothing(entry, post_contact):
    first = post_contact(entry, {"email": "a@example.com"}, **KEY)

    again = post_contact(entry, {"email": "b@example.com"}, **KEY)

    assert again.status_code == 422
    assert again.data["status"] == "invalid"
    assert again.data["errors"] == {
        "Idempotency-Key": "This Idempotency-Key was already used with another body in the last "
        "24 hours (same source, campaign and test flag). A retry must repeat the first body; a "
        "new contact needs a new key. Nothing was stored."
    }
    assert again.data["id"] != first.data["id"]
    assert "Idempotent-Replayed" not in again
    assert list(Contact.objects.values_list("email", flat=True)) == ["a@example.com"]
    refusal = IntakeEvent.objects.get(request_id=again.data["id"])
    assert (refusal.http_status, refusal.replay_of_id, refusal.idempotency_key) == (422, None, "")
    # The original still answers its own retries.
    assert post_contact(entry, {"email": "a@example.com"}, **KEY).data == first.data


def test_the_same_fields_in_another_order_or_spacing_are_the_same_body(entry, client):
    first = post_raw(client, entry, '{"email": "o@example.com", "firstname": "Ada"}', **KEY)
    again = post_raw(client, entry, '{ "firstname":"Ada",\n  "email":"o@example.com" }', **KEY)

    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_form_with_its_fields_reordered_is_the_same_body(entry, client):
    form = "application/x-www-form-urlencoded"
    first = post_raw(client, entry, urlencode({"email": "f@example.com", "city": "X"}), form, **KEY)
    again = post_raw(client, entry, urlencode({"city": "X", "email": "f@example.com"}), form, **KEY)

    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_the_token_is_not_part_of_the_body(entry, client):
    token = entry.source.token
    first = post_raw(client, entry, json.dumps({"email": "t@example.com", "token": token}), **KEY)
    again = post_raw(client, entry, json.dumps({"email": "t@example.com"}), **KEY)

    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_the_same_key_into_another_campaign_is_a_new_contact(entry, post_contact):
    other = SourceCampaignFactory.create(source=entry.source)
    CampaignFieldFactory.create(campaign=other.campaign, key="email", type="email")
    first = post_contact(entry, {"email": "c1@example.com"}, **KEY)

    second = post_contact(other, {"email": "c1@example.com"}, **KEY)

    assert second.status_code == 200
    assert "Idempotent-Replayed" not in second
    assert second.data["contact"]["id"] != first.data["contact"]["id"]
    assert second.data["campaign"]["id"] == other.campaign_id
    assert Contact.objects.filter(campaign=other.campaign).count() == 1


def test_a_real_post_after_a_test_post_with_the_same_key_is_stored(entry, post_contact):
    trial = post_contact(entry, {"email": "r@example.com"}, **KEY, **{"X-Test": "1"})
    assert (trial.status_code, trial.data["contact"], trial.data["test"]) == (200, None, True)

    real = post_contact(entry, {"email": "r@example.com"}, **KEY)

    assert real.status_code == 200
    assert "Idempotent-Replayed" not in real
    assert "test" not in real.data
    assert real.data["contact"]["id"] == Contact.objects.get().pk


def test_a_test_post_after_a_real_post_with_the_same_key_gets_its_own_test_answer(
    entry, post_contact
):
    real = post_contact(entry, {"email": "s@example.com"}, **KEY)

    trial = post_contact(entry, {"email": "s@example.com", "test": "1"}, **KEY)

    assert "Idempotent-Replayed" not in trial
    assert trial.data["test"] is True
    assert trial.data["contact"] is None
    assert trial.data["id"] != real.data["id"]
    assert Contact.objects.count() == 1


def test_it_refuses_a_key_over_255_characters_with_400_and_never_cuts_it(entry, post_contact):
    long_key = "k" * 255
    kept = post_contact(entry, {"email": "l1@example.com"}, **{"Idempotency-Key": long_key})

    refused = post_contact(
        entry, {"email": "l2@example.com"}, **{"Idempotency-Key": long_key + "x"}
    )

    assert kept.status_code == 200
    assert refused.status_code == 400
    assert refused.data["errors"] == {
        "Idempotency-Key": "The Idempotency-Key header is longer than 255 characters. Send a "
        "shorter key, such as a UUID: a key is never cut."
    }
    assert list(Contact.objects.values_list("email", flat=True)) == ["l1@example.com"]
    assert IntakeEvent.objects.get(request_id=refused.data["id"]).idempotency_key == ""


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_two_bodies_with_one_key_store_one_contact_and_refuse_the_other():
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    entry.duplicate_window = None
    entry.save()
    clients = 8
    barrier = threading.Barrier(clients)

    def post(i: int):
        try:
            client = Client()
            barrier.wait(timeout=60)
            return client.post(
                f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
                json.dumps({"email": f"p{i % 2}@example.com"}),
                content_type="application/json",
                headers={"token": entry.source.token, "Idempotency-Key": "race"},
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        responses = list(pool.map(post, range(clients)))

    assert Contact.objects.count() == 1
    winner = Contact.objects.get().email
    for i, response in enumerate(responses):
        same_body = f"p{i % 2}@example.com" == winner
        assert response.status_code == (200 if same_body else 422), response.json()
    assert len({r.json()["id"] for r in responses if r.status_code == 200}) == 1
    assert IntakeEvent.objects.filter(http_status=422, idempotency_key="").count() == clients // 2
