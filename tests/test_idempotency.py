"""Idempotency-Key: a retry gets the first answer again and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from finance.models import CapCounter, LedgerEntry
from ingest.models import Contact, IntakeEvent
from subscriptions.models import CallbackDelivery, Subscription
from tests.factories import CallbackEndpointFactory, CapFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

AT = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)


@time_machine.travel(AT, tick=False)
def test_a_retry_with_the_same_key_gets_the_first_answer_and_changes_nothing(entry, post_contact):
    cap = CapFactory.create(campaign=entry.campaign, source=entry.source, limit=10)
    CallbackEndpointFactory.create()
    first = post_contact(entry, {"email": "i@example.com"}, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 200

    again = post_contact(entry, {"email": "i@example.com"}, **{"Idempotency-Key": "k-1"})

    assert again.status_code == 200
    assert again.data == first.data  # same id, same contact, same time
    assert again["Idempotent-Replayed"] == "true"
    assert Contact.objects.count() == 1
    assert LedgerEntry.objects.count() == 2
    assert CapCounter.objects.get(cap=cap).used == 1
    assert Subscription.objects.count() == 1
    assert CallbackDelivery.objects.count() == 1
    original, replay = IntakeEvent.objects.order_by("pk")
    assert replay.replay_of == original
    assert (replay.status, replay.http_status, replay.cost) == ("accepted", 200, None)
    assert str(original.request_id) == again.data["id"] != str(replay.request_id)


def test_a_retry_with_another_body_is_refused_not_replayed(entry, post_contact):
    first = post_contact(entry, {"email": "a@example.com"}, **{"Idempotency-Key": "k"})
    again = post_contact(entry, {"email": "b@example.com"}, **{"Idempotency-Key": "k"})
    assert first.status_code == 200
    assert again.status_code == 422
    assert "another body" in again.data["errors"]["Idempotency-Key"]
    assert "Idempotent-Replayed" not in again
    assert Contact.objects.count() == 1


def test_a_refusal_is_replayed_with_its_status(entry, post_contact):
    entry.campaign.fields.update(required=True)
    first = post_contact(entry, {"firstname": "No email"}, **{"Idempotency-Key": "k"})
    again = post_contact(entry, {"firstname": "No email"}, **{"Idempotency-Key": "k"})
    assert first.status_code == again.status_code == 422
    assert again.data == first.data
    assert Contact.objects.count() == 0


def test_other_keys_and_other_sources_do_not_replay(entry, post_contact):
    other = SourceCampaignFactory.create(campaign=entry.campaign)
    post_contact(entry, {"email": "a@example.com"}, **{"Idempotency-Key": "k"})
    assert post_contact(entry, {"email": "b@example.com"}, **{"Idempotency-Key": "j"}).data[
        "contact"
    ]
    assert post_contact(other, {"email": "c@example.com"}, **{"Idempotency-Key": "k"}).data[
        "contact"
    ]
    assert Contact.objects.count() == 3


def test_a_429_does_not_bind_the_key_so_the_retry_can_get_in_later(entry, post_contact):
    cap = CapFactory.create(campaign=entry.campaign, source=entry.source, limit=1)
    post_contact(entry, {"email": "a@example.com"})
    assert (
        post_contact(entry, {"email": "b@example.com"}, **{"Idempotency-Key": "k"}).status_code
        == 429
    )
    cap.limit = Decimal("2")
    cap.save()
    again = post_contact(entry, {"email": "b@example.com"}, **{"Idempotency-Key": "k"})
    assert again.status_code == 200
    assert "Idempotent-Replayed" not in again


def test_a_post_with_a_wrong_token_cannot_claim_the_sources_key(entry, post_contact):
    assert (
        post_contact(
            entry, {"email": "a@example.com"}, token="wrong", **{"Idempotency-Key": "k"}
        ).status_code
        == 401
    )
    assert (
        post_contact(entry, {"email": "a@example.com"}, **{"Idempotency-Key": "k"}).status_code
        == 200
    )


def test_a_key_older_than_24_hours_is_a_new_request(entry, post_contact):
    with time_machine.travel(AT, tick=False):
        post_contact(entry, {"email": "a@example.com"}, **{"Idempotency-Key": "k"})
    with time_machine.travel(AT + timedelta(hours=23, minutes=59), tick=False):
        assert "Idempotent-Replayed" in post_contact(
            entry, {"email": "a@example.com"}, **{"Idempotency-Key": "k"}
        )
    with time_machine.travel(AT + timedelta(hours=24, seconds=1), tick=False):
        late = post_contact(entry, {"email": "b@example.com"}, **{"Idempotency-Key": "k"})
    assert late.status_code == 200
    assert "Idempotent-Replayed" not in late
    assert Contact.objects.count() == 2
