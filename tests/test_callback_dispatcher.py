"""The outbox dispatcher: the intake writes its deliveries unsent and NOTIFYs at COMMIT; a
dispatcher in the worker claims each unsent row once and sends it to the broker (DESIGN §7)."""

from __future__ import annotations

import json
import threading
from unittest import mock

import psycopg
import pytest
from django.db import connection
from django.test import Client

from subscriptions.models import CallbackDelivery
from subscriptions.services.dispatch import CHANNEL, Dispatcher, deliveries_dispatch
from tests.factories import (
    CallbackEndpointFactory,
    CampaignFieldFactory,
    CapFactory,
    SourceCampaignFactory,
)
from tests.integration.processes import database_url

# Real transactions: NOTIFY is delivered at COMMIT, and another connection must see the rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def entry():
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    CallbackEndpointFactory.create()
    return entry


def post(entry, email: str, *, batch: bool = False) -> int:
    path = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"
    body: dict[str, object] = {"email": email}
    if batch:
        path += "s"
        body = {"contacts": [{"email": email}, {"email": "b-" + email}]}
    response = Client().post(
        path,
        json.dumps(body),
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    return response.status_code


@pytest.fixture
def listener():
    """Another connection LISTENing on the dispatcher's channel, as a worker's would."""
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        yield lambda timeout: [n.channel for n in conn.notifies(timeout=timeout)]


def test_an_accepted_post_leaves_its_delivery_unsent_and_wakes_the_dispatcher(entry, listener):
    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async") as apply_async:
        assert post(entry, "a@example.com") == 200

    apply_async.assert_not_called()  # nothing published from the request
    assert listener(1.0) == [CHANNEL]
    delivery = CallbackDelivery.objects.get()
    assert delivery.enqueued_at is None


def test_a_batch_wakes_the_dispatcher_once(entry, listener):
    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async") as apply_async:
        assert post(entry, "a@example.com", batch=True) == 200

    apply_async.assert_not_called()
    assert listener(1.0) == [CHANNEL]
    assert list(CallbackDelivery.objects.values_list("enqueued_at", flat=True)) == [None, None]


def test_a_refused_post_wakes_nobody(entry, listener):
    CapFactory.create(campaign=entry.campaign, duration="day", limit=1)
    assert post(entry, "a@example.com") == 200
    assert listener(1.0) == [CHANNEL]

    assert post(entry, "a@example.com") == 409  # a duplicate writes nothing
    assert post(entry, "c@example.com") == 429  # rolled back whole

    assert listener(0.5) == []
    assert CallbackDelivery.objects.count() == 1


def test_each_unsent_row_is_claimed_once_and_sent(entry):
    for n in range(3):
        assert post(entry, f"{n}@example.com") == 200

    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async") as apply_async:
        assert deliveries_dispatch(limit=2) == 2
        assert deliveries_dispatch(limit=2) == 1
        assert deliveries_dispatch(limit=2) == 0

    sent = [pk for call in apply_async.call_args_list for pk in call.args[0][0]]
    assert sorted(sent) == sorted(CallbackDelivery.objects.values_list("pk", flat=True))
    assert not CallbackDelivery.objects.filter(enqueued_at=None).exists()


def test_an_inactive_endpoints_rows_wait(entry):
    assert post(entry, "a@example.com") == 200
    CallbackDelivery.objects.get().endpoint.__class__.objects.update(is_active=False)

    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async") as apply_async:
        assert deliveries_dispatch() == 0

    apply_async.assert_not_called()
    assert CallbackDelivery.objects.get().enqueued_at is None


def test_a_broker_outage_leaves_the_rows_unsent_for_the_next_try(entry):
    assert post(entry, "a@example.com") == 200

    with mock.patch(
        "subscriptions.tasks.callbacks_deliver.apply_async", side_effect=ConnectionError("down")
    ):
        assert deliveries_dispatch() == 1

    assert CallbackDelivery.objects.get().enqueued_at is None


def test_the_dispatcher_thread_sends_a_new_delivery_on_notify_not_on_its_poll(entry):
    sent: list[int] = []
    done = threading.Event()

    def publish(args, **_kwargs):
        sent.extend(args[0])
        done.set()

    connection.close()  # the thread opens its own
    dispatcher = Dispatcher(poll=60.0)  # a poll this long cannot be what sends it
    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async", side_effect=publish):
        dispatcher.start()
        try:
            assert dispatcher.listening.wait(10), "the dispatcher never listened"
            assert post(entry, "a@example.com") == 200
            assert done.wait(10), "the dispatcher did not wake on the commit's NOTIFY"
        finally:
            dispatcher.stop(timeout=10)

    assert not dispatcher.is_alive()
    assert sent == [CallbackDelivery.objects.get().pk]
