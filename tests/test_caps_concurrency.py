"""Caps hold exactly under concurrency: 64 clients posting at once on real PostgreSQL connections.

Each thread has its own database connection (Django's are per thread) and its own test client,
and they all start at a barrier, so the posts really overlap inside PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client

from finance.models import CapCounter, LedgerEntry
from ingest.models import Contact, IntakeEvent
from tests.factories import CampaignFieldFactory, CapFactory, SourceCampaignFactory

# Real commits: the threads must see each other's rows.
pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 64
LIMIT = 10


def post_all_at_once(entry, bodies):
    """POST every body from its own thread and connection, all released together."""
    barrier = threading.Barrier(len(bodies))
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"

    def post(body):
        try:
            client = Client()
            barrier.wait(timeout=60)
            response = client.post(
                url,
                json.dumps(body),
                content_type="application/json",
                headers={"token": entry.source.token},
            )
            return response.status_code, response
        finally:
            connections.close_all()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        results = list(pool.map(post, bodies))
    return results, time.perf_counter() - started


def capped_entry(**cap):
    entry = SourceCampaignFactory.create(cost=Decimal("2.50"))
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    CapFactory.create(campaign=entry.campaign, source=entry.source, **cap)
    return entry


CAPS = [
    {"limit": LIMIT, "duration": "day"},
    {"limit": LIMIT, "duration": "PT1H"},
    {"kind": "budget", "limit": Decimal("2.50") * LIMIT, "duration": "week"},
]


# One test for the three kinds of cap, so the suite never runs two 64-connection bursts at once
# (PostgreSQL's default max_connections is 100), even under pytest-xdist.
def test_64_parallel_posts_accept_exactly_the_caps_limit_and_refuse_the_rest(record_property):
    assert connection.vendor == "postgresql"
    for spec in CAPS:
        entry = capped_entry(**spec)
        bodies = [{"email": f"p{i}@example.com"} for i in range(CLIENTS)]

        results, seconds = post_all_at_once(entry, bodies)

        codes = sorted(code for code, _response in results)
        assert codes == [200] * LIMIT + [429] * (CLIENTS - LIMIT), spec
        refused = [r for code, r in results if code == 429]
        assert all(int(r["Retry-After"]) > 0 for r in refused)
        assert Contact.objects.filter(campaign=entry.campaign).count() == LIMIT
        used = sum(c.used for c in CapCounter.objects.filter(cap__campaign=entry.campaign))
        assert used == (Decimal("2.50") * LIMIT if spec.get("kind") == "budget" else LIMIT)
        assert LedgerEntry.objects.filter(campaign=entry.campaign).count() == 2 * LIMIT
        assert IntakeEvent.objects.filter(campaign=entry.campaign).count() == CLIENTS
        record_property(f"seconds_{spec['duration']}", round(seconds, 3))
        print(f"\n64 parallel posts, cap {spec}: {seconds:.3f} s")
