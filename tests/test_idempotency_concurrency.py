"""Parallel retries with one Idempotency-Key resolve to one original answer."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client

from finance.models import LedgerEntry
from ingest.models import Contact, IntakeEvent
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

# Real commits: the threads must see each other's rows.
pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8


def test_parallel_posts_with_one_key_store_one_contact_and_all_answer_the_same():
    assert connection.vendor == "postgresql"
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    entry.duplicate_window = None  # only the key may stop the copies
    entry.save()
    barrier = threading.Barrier(CLIENTS)

    def post(i):
        try:
            client = Client()
            barrier.wait(timeout=60)
            return client.post(
                f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
                json.dumps({"email": "same@example.com"}),
                content_type="application/json",
                headers={"token": entry.source.token, "Idempotency-Key": "same"},
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        responses = list(pool.map(post, range(CLIENTS)))

    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["id"] for r in responses}) == 1
    assert Contact.objects.count() == 1
    assert LedgerEntry.objects.count() == 2
    assert IntakeEvent.objects.filter(replay_of__isnull=True).count() == 1
    assert IntakeEvent.objects.filter(replay_of__isnull=False).count() == CLIENTS - 1
