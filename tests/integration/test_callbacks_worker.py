"""End to end: intake → outbox → a real Celery worker on a real Redis → a real HTTP receiver.

The receiver fails its first requests, Redis is stopped mid-run (its queued tasks are lost) and
the worker is SIGKILLed; still every accepted contact's callback arrives, with a valid
signature, and deduplicating on event_id leaves exactly one per contact.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ingest.models import Contact
from subscriptions.models import CallbackDelivery
from subscriptions.receiver import CallbackReceiver
from tests.factories import CallbackEndpointFactory, CampaignFieldFactory, SourceCampaignFactory
from tests.integration.processes import (
    RedisProcess,
    WorkerProcess,
    celery_publishing_to,
    database_url,
    wait_for,
)

# The worker is another process: it must see committed rows in the test database.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300), pytest.mark.slow]

RECEIVER_FAILURES = 6
PER_BATCH = 8


def worker_env(broker_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "SECRET_KEY": "integration-test-only",
        "DEBUG": "false",
        "CALLBACK_ALLOW_PRIVATE": "true",
        # A day of backoff squeezed into seconds; the sweeper runs every second.
        "CALLBACK_RETRY_BASE_SECONDS": "0.5",
        "CALLBACK_RETRY_MAX_DELAY_SECONDS": "2",
        "CALLBACK_SWEEP_SECONDS": "1",
        "CALLBACK_LOST_TASK_SECONDS": "3",
        "CALLBACK_CONNECT_TIMEOUT": "1",
        "CALLBACK_READ_TIMEOUT": "2",
        "CALLBACK_LEASE_SECONDS": "4",
    }


def post_contacts(entry, start: int, count: int) -> list[int]:
    client, ids = Client(), []
    for n in range(start, start + count):
        response = client.post(
            f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
            json.dumps({"email": f"lead{n}@example.com"}),
            content_type="application/json",
            headers={"token": entry.source.token},
        )
        assert response.status_code == 200, response.content
        ids.append(response.json()["contact"]["id"])
    return ids


def all_delivered(expected: int) -> bool:
    delivered = CallbackDelivery.objects.filter(status="delivered").count()
    return delivered == expected


def test_every_callback_arrives_signed_and_deduplicable_through_failures(tmp_path):
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    secrets: list[str] = []
    receiver = CallbackReceiver(lambda: secrets, fail_first=RECEIVER_FAILURES).start()
    endpoint = CallbackEndpointFactory.create(url=receiver.url)
    secrets.append(endpoint.secret)
    redis = RedisProcess(tmp_path).start()
    env = worker_env(redis.url)
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        with celery_publishing_to(redis.url):
            contact_ids = post_contacts(entry, 0, PER_BATCH)
            wait_for(lambda: receiver.state.received, timeout=60, what="a first delivery")

            redis.stop()  # every queued task is gone; new ones cannot be sent
            contact_ids += post_contacts(entry, PER_BATCH, PER_BATCH)
            redis.start()

            contact_ids += post_contacts(entry, 2 * PER_BATCH, PER_BATCH)
            worker.kill()  # with tasks prefetched and maybe a request in flight
            worker = WorkerProcess(env, tmp_path / "worker.log").start()

            wait_for(
                lambda: all_delivered(len(contact_ids)),
                timeout=180,
                interval=0.5,
                what="every delivery to be delivered",
            )
    finally:
        worker.stop()
        redis.stop()
        receiver.stop()

    deliveries = list(CallbackDelivery.objects.all())
    assert sorted(d.contact_id or 0 for d in deliveries) == sorted(contact_ids)
    assert Contact.objects.count() == len(contact_ids)
    received = receiver.state.received
    assert receiver.state.invalid == 0
    assert receiver.state.failed == RECEIVER_FAILURES
    # At least once: every event arrived; deduplicating on event_id leaves one per contact.
    assert {r.event_id for r in received} == {str(d.event_id) for d in deliveries}
    assert all(r.webhook_id == r.event_id for r in received)
    # Retried through the failures: attempts counted up on the wire and in the outbox.
    assert max(r.attempt for r in received) >= 2
    assert sum(d.attempts for d in deliveries) >= len(deliveries) + RECEIVER_FAILURES
