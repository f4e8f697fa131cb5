"""End to end, without beat: a real worker's outbox dispatcher alone sends the intake's new
deliveries (single posts and a batch) to a real HTTP receiver, woken by the commits' NOTIFY.
With no beat, no sweeper runs: every delivery that arrives came through the dispatcher."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from subscriptions.models import CallbackDelivery
from subscriptions.receiver import CallbackReceiver
from tests.factories import CallbackEndpointFactory, CampaignFieldFactory, SourceCampaignFactory
from tests.integration.processes import RedisProcess, WorkerProcess, database_url, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300), pytest.mark.slow]


def test_the_workers_dispatcher_sends_every_new_delivery_without_a_sweeper(tmp_path):
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    secrets: list[str] = []
    receiver = CallbackReceiver(lambda: secrets).start()
    secrets.append(CallbackEndpointFactory.create(url=receiver.url).secret)
    redis = RedisProcess(tmp_path).start()
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis.url,
        "SECRET_KEY": "integration-test-only",
        "DEBUG": "false",
        "CALLBACK_ALLOW_PRIVATE": "true",
        # The poll could send them too: far longer than the wait below, so it cannot.
        "CALLBACK_DISPATCH_POLL_SECONDS": "600",
    }
    worker = WorkerProcess(env, tmp_path / "worker.log", beat=False).start()
    client, path = Client(), f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"
    headers = {"token": entry.source.token}
    try:
        for n in range(10):
            body = json.dumps({"email": f"lead{n}@example.com"})
            response = client.post(path, body, content_type="application/json", headers=headers)
            assert response.status_code == 200, response.content
        batch = {"contacts": [{"email": f"batch{n}@example.com"} for n in range(10)]}
        response = client.post(
            path + "s", json.dumps(batch), content_type="application/json", headers=headers
        )
        assert response.status_code == 200, response.content
        wait_for(
            lambda: len(receiver.state.received) >= 20,
            timeout=60,
            interval=0.2,
            what="20 deliveries at the receiver",
        )
    finally:
        worker.stop()
        redis.stop()
        receiver.stop()

    deliveries = CallbackDelivery.objects.all()
    assert {str(d.event_id) for d in deliveries} == {r.event_id for r in receiver.state.received}
    assert receiver.state.invalid == 0
    assert all(d.status == "delivered" for d in deliveries)
