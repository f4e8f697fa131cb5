"""The beat sweeper re-enqueues due deliveries with no live task; broker outages lose nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from kombu.exceptions import OperationalError

from subscriptions.models import CallbackDelivery
from subscriptions.services import (
    PersonData,
    contact_subscribe,
    deliveries_enqueue,
    deliveries_sweep,
)
from subscriptions.tasks import callbacks_sweep
from tests.factories import CallbackEndpointFactory, CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def delivery():
    CallbackEndpointFactory.create()
    with time_machine.travel(NOW, tick=False):
        contact_subscribe(
            contact_id=1,
            campaign_id=CampaignFactory.create().pk,
            source_id=SourceFactory.create().pk,
            person=PersonData(email="ada@example.com"),
            at=NOW,
        )
        CallbackDelivery.objects.update(enqueued_at=NOW)  # as the dispatcher's claim does
    return CallbackDelivery.objects.get()


def sweep(at):
    with (
        mock.patch("subscriptions.tasks.callbacks_deliver.apply_async") as apply_async,
        time_machine.travel(at, tick=False),
    ):
        deliveries_sweep()
    return [pk for c in apply_async.call_args_list for pk in c.args[0][0]]


def test_it_leaves_a_recently_enqueued_delivery_to_its_task(delivery, settings):
    assert sweep(NOW + timedelta(seconds=settings.CALLBACK_LOST_TASK_SECONDS - 1)) == []


def test_it_re_enqueues_a_delivery_whose_task_was_lost(delivery, settings):
    later = NOW + timedelta(seconds=settings.CALLBACK_LOST_TASK_SECONDS)

    assert sweep(later) == [delivery.pk]
    # Once sent again, it is the new task's for another grace period.
    assert sweep(later + timedelta(seconds=1)) == []
    delivery.refresh_from_db()
    assert delivery.enqueued_at == later


def test_it_sends_a_retry_when_it_falls_due(delivery):
    CallbackDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, enqueued_at=None, next_attempt_at=NOW + timedelta(minutes=1)
    )

    assert sweep(NOW + timedelta(seconds=59)) == []
    assert sweep(NOW + timedelta(minutes=1)) == [delivery.pk]


def test_it_resends_a_claimed_delivery_whose_worker_died_once_the_lease_ends(delivery, settings):
    from subscriptions.services.delivery import delivery_claim

    delivery_claim(delivery_id=delivery.pk, now=NOW)
    lease_end = NOW + timedelta(seconds=settings.CALLBACK_LEASE_SECONDS)

    assert sweep(lease_end - timedelta(seconds=1)) == []
    assert sweep(lease_end) == [delivery.pk]


def test_it_skips_delivered_dead_and_disabled_endpoints_rows(delivery):
    later = NOW + timedelta(hours=1)
    for status in ("delivered", "dead"):
        CallbackDelivery.objects.filter(pk=delivery.pk).update(status=status)
        assert sweep(later) == []
    CallbackDelivery.objects.filter(pk=delivery.pk).update(status="pending")
    delivery.endpoint.is_active = False
    delivery.endpoint.save()

    assert sweep(later) == []


def test_a_broker_outage_at_commit_leaves_the_rows_for_the_next_sweep(delivery):
    with mock.patch(
        "subscriptions.tasks.callbacks_deliver.apply_async",
        side_effect=OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused."),
    ):
        sent = deliveries_enqueue([delivery.pk])

    assert sent == 0
    delivery.refresh_from_db()
    assert delivery.enqueued_at is None
    assert sweep(NOW + timedelta(seconds=1)) == [delivery.pk]


def test_the_task_sends_each_delivery_and_survives_one_crashing(delivery):
    from subscriptions.tasks import callbacks_deliver

    with mock.patch(
        "subscriptions.services.delivery.delivery_send", side_effect=[RuntimeError("bug"), None]
    ) as send:
        callbacks_deliver([delivery.pk, delivery.pk + 1])

    assert [c.kwargs["delivery_id"] for c in send.call_args_list] == [delivery.pk, delivery.pk + 1]


def test_the_beat_task_runs_the_sweep(delivery, settings):
    with mock.patch("subscriptions.tasks.deliveries_sweep") as service:
        callbacks_sweep()

    service.assert_called_once_with()
    assert "subscriptions.tasks.callbacks_sweep" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
