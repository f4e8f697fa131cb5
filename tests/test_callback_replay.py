"""Deliveries can be replayed from the admin: one, or every dead one of an endpoint."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from subscriptions.models import CallbackDelivery, Subscription
from subscriptions.services import PersonData, contact_subscribe, deliveries_replay
from tests.factories import CallbackEndpointFactory, CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint():
    return CallbackEndpointFactory.create()


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return client


def make_deliveries(count):
    campaign, source = CampaignFactory.create(), SourceFactory.create()
    for n in range(count):
        contact_subscribe(
            contact_id=n,
            campaign_id=campaign.pk,
            source_id=source.pk,
            person=PersonData(email=f"p{n}@example.com"),
            at=campaign.created_at,
        )
    return list(CallbackDelivery.objects.order_by("id"))


def test_replaying_puts_a_dead_delivery_back_in_line_keeping_its_event_and_count(
    endpoint, django_capture_on_commit_callbacks
):
    (delivery,) = make_deliveries(1)
    CallbackDelivery.objects.filter(pk=delivery.pk).update(status="dead", attempts=9)

    with (
        mock.patch("subscriptions.tasks.callbacks_deliver.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert deliveries_replay(delivery_ids=[delivery.pk]) == 1

    replayed = CallbackDelivery.objects.get()
    assert replayed.status == "pending"
    assert replayed.event_id == delivery.event_id
    assert replayed.attempts == 9  # the next one is attempt 10
    assert replayed.retry_until > delivery.retry_until
    apply_async.assert_called_once_with(([delivery.pk],), retry=False)


def test_replaying_an_endpoint_replays_only_its_dead_deliveries(endpoint):
    other = CallbackEndpointFactory.create()
    rows = make_deliveries(3)
    mine = [r for r in rows if r.endpoint_id == endpoint.pk]
    CallbackDelivery.objects.filter(pk__in=[mine[0].pk, mine[1].pk]).update(status="dead")
    CallbackDelivery.objects.filter(pk=mine[2].pk).update(status="delivered")
    CallbackDelivery.objects.filter(endpoint=other).update(status="dead")

    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async"):
        assert deliveries_replay(endpoint_id=endpoint.pk) == 2

    assert CallbackDelivery.objects.filter(endpoint=endpoint, status="pending").count() == 2
    assert CallbackDelivery.objects.filter(endpoint=other, status="dead").count() == 3


def test_the_admin_replays_all_dead_deliveries_of_an_endpoint(endpoint, admin_client):
    rows = make_deliveries(2)
    CallbackDelivery.objects.filter(pk__in=[r.pk for r in rows]).update(status="dead")

    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async"):
        response = admin_client.post(
            "/admin/subscriptions/callbackendpoint/",
            {"action": "replay_dead", "_selected_action": [endpoint.pk]},
            follow=True,
        )

    assert "2 dead deliveries queued again" in response.content.decode()
    assert CallbackDelivery.objects.filter(status="pending").count() == 2


def test_the_admin_replays_selected_deliveries(endpoint, admin_client):
    first, second = make_deliveries(2)
    CallbackDelivery.objects.update(status="dead")

    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async"):
        admin_client.post(
            "/admin/subscriptions/callbackdelivery/",
            {"action": "replay", "_selected_action": [first.pk]},
        )

    assert CallbackDelivery.objects.get(pk=first.pk).status == "pending"
    assert CallbackDelivery.objects.get(pk=second.pk).status == "dead"


def test_the_admin_opts_a_subscription_out_and_tells_the_crms(endpoint, admin_client):
    make_deliveries(1)
    subscription = Subscription.objects.get()

    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async"):
        admin_client.post(
            "/admin/subscriptions/subscription/",
            {"action": "opt_out", "_selected_action": [subscription.pk]},
        )

    subscription.refresh_from_db()
    assert subscription.opt_out_reason == "user_opt_out"
    assert CallbackDelivery.objects.filter(event_type="subscription_removed").count() == 1


def test_the_admin_shows_an_issued_api_key_once_and_stores_its_hash(endpoint, admin_client):
    response = admin_client.post(
        "/admin/subscriptions/callbackendpoint/",
        {"action": "issue_api_key", "_selected_action": [endpoint.pk]},
        follow=True,
    )

    page = response.content.decode()
    key = page.split("Person-API key for ")[1].split(": ", 1)[1].split(" ")[0]
    endpoint.refresh_from_db()
    assert key.startswith("cscrm_")
    assert endpoint.api_key_hash and key not in endpoint.api_key_hash
