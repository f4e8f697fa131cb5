"""Real-time entries: one synchronous attempt to the campaign's primary endpoint decides."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from standardwebhooks.webhooks import Webhook

from ingest.models import Contact, IntakeEvent
from subscriptions.models import CallbackDelivery, Person, Subscription
from subscriptions.selectors import primary_endpoint_for
from subscriptions.services import delivery_send
from tests.callback_doubles import callback_route
from tests.factories import CallbackEndpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_callbacks")]

PRIMARY = "http://buyer.test/offer"
OTHER = "http://other.test/callbacks"


@pytest.fixture
def realtime_entry(person_entry):
    person_entry.real_time = True
    person_entry.save()
    return person_entry


@pytest.fixture
def primary(realtime_entry):
    return CallbackEndpointFactory.create(
        url=PRIMARY, is_primary=True, campaigns=[realtime_entry.campaign]
    )


@respx.mock
def test_a_2xx_accepts_the_contact_and_counts_as_its_delivered_first_attempt(
    realtime_entry, primary, post_contact
):
    route = callback_route(PRIMARY).mock(return_value=httpx.Response(200))
    other = CallbackEndpointFactory.create(url=OTHER)

    response = post_contact(realtime_entry, {"email": "ada@example.com", "mobile": "7272870426"})

    assert response.data["status"] == "accepted"
    assert response.data["success"] is True
    request = route.calls.last.request
    body = Webhook(primary.secret).verify(request.content, dict(request.headers))
    assert body["event_type"] == "subscription_added"
    assert body["delivery_attempt"] == "1"
    person = Person.objects.get()
    assert body["subscription"]["person"]["id"] == str(person.public_id)
    sent = CallbackDelivery.objects.get(endpoint=primary)
    assert (sent.status, sent.attempts, sent.last_status_code) == ("delivered", 1, 200)
    assert str(sent.event_id) == body["event_id"]
    assert sent.payload == body["subscription"]
    waiting = CallbackDelivery.objects.get(endpoint=other)
    assert (waiting.status, waiting.attempts, waiting.event_id) == ("pending", 0, sent.event_id)


@respx.mock
@pytest.mark.parametrize("code", [400, 409, 500, 503])
def test_any_other_answer_rejects_the_contact_with_no_person_and_no_callback(
    realtime_entry, primary, post_contact, code
):
    callback_route(PRIMARY).mock(return_value=httpx.Response(code))
    CallbackEndpointFactory.create(url=OTHER)

    response = post_contact(realtime_entry, {"email": "ada@example.com"})

    assert response.status_code == 200
    assert response.data["status"] == "rejected"
    assert response.data["success"] is False
    assert "real time" in response.data["errors"]["realtime"]
    assert Contact.objects.get().status == "rejected"
    event = IntakeEvent.objects.get()
    assert (event.status, event.cost, event.revenue) == ("rejected", None, None)
    assert Person.objects.count() == Subscription.objects.count() == 0
    assert CallbackDelivery.objects.count() == 0


@respx.mock
def test_a_timeout_accepts_and_the_worker_continues_from_attempt_two(
    realtime_entry, primary, post_contact
):
    route = callback_route(PRIMARY).mock(
        side_effect=[httpx.ReadTimeout("slow buyer"), httpx.Response(200)]
    )

    response = post_contact(realtime_entry, {"email": "ada@example.com"})

    assert response.data["status"] == "accepted"
    delivery = CallbackDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.enqueued_at) == ("pending", 1, None)
    assert delivery.last_error == "timeout"
    CallbackDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)

    assert delivery_send(delivery_id=delivery.pk) == "delivered"

    first, second = (json.loads(call.request.content) for call in route.calls)
    assert (first["delivery_attempt"], second["delivery_attempt"]) == ("1", "2")
    assert first["event_id"] == second["event_id"]
    assert first["subscription"] == second["subscription"]


@respx.mock
def test_with_no_endpoint_to_ask_the_contact_is_accepted(realtime_entry, post_contact):
    response = post_contact(realtime_entry, {"email": "ada@example.com"})

    assert response.data["status"] == "accepted"
    assert Subscription.objects.count() == 1


@respx.mock
def test_entries_that_are_not_real_time_and_test_posts_make_no_synchronous_call(
    realtime_entry, primary, post_contact
):
    route = callback_route(PRIMARY).mock(return_value=httpx.Response(500))

    test_post = post_contact(realtime_entry, {"email": "ada@example.com"}, **{"X-Test": "1"})
    realtime_entry.real_time = False
    realtime_entry.save()
    offline = post_contact(realtime_entry, {"email": "bob@example.com"})

    assert not route.called
    assert test_post.data["status"] == offline.data["status"] == "accepted"


def test_the_primary_endpoint_is_the_flagged_one_else_the_oldest(realtime_entry):
    campaign = realtime_entry.campaign
    oldest = CallbackEndpointFactory.create()
    CallbackEndpointFactory.create(is_primary=True, is_active=False)
    CallbackEndpointFactory.create(is_primary=True, event_types=["subscription_removed"])

    assert primary_endpoint_for(campaign_id=campaign.pk, event_type="subscription_added") == oldest

    flagged = CallbackEndpointFactory.create(is_primary=True, campaigns=[campaign])

    assert primary_endpoint_for(campaign_id=campaign.pk, event_type="subscription_added") == flagged
