"""Under load nothing is lost and no cap is exceeded: 20,000 posts from 32 parallel clients.

A real gunicorn (2 workers x 4 threads) on the test database takes the posts over HTTP, with
two sources into one campaign, a per-source cap, a campaign-wide cap, a scrub rate, duplicates
posted from other clients at the same time, and a callback endpoint (the outbox is written; no
worker runs). Afterwards every count agrees: one event per post, one contact per kept post, two
ledger rows per accepted contact, one delivery per kept contact, and the caps exactly full.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Count, Sum

from bench import harness
from bench.pace import contact_body
from finance.models import Cap, CapCounter, LedgerEntry, LedgerKind
from finance.services import cap_save
from ingest.models import Contact, IntakeEvent, IntakeStatus
from subscriptions.models import CallbackDelivery
from tests.factories import (
    CallbackEndpointFactory,
    CampaignFactory,
    CampaignFieldFactory,
    SourceCampaignFactory,
)
from tests.integration.processes import RedisProcess, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(1800), pytest.mark.slow]

POSTS = 20_000
CLIENTS = 32
CAP_A = 3_000  # source A's own cap into the campaign
CAP_CAMPAIGN = 9_000  # every source together
SCRUB_RATE = 20
COST_A, COST_B, REVENUE = Decimal("2.50"), Decimal("1.75"), Decimal("5.00")
# Every tenth post re-posts the identity of the post 8 before it: same source (same parity),
# sent by another client (another residue mod 32), often at the same moment.
DUPLICATE_EVERY, DUPLICATE_OF = 10, 8


def server_env(broker_url: str) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "SECRET_KEY": "reliability-test-only",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CALLBACK_ALLOW_PRIVATE": "true",
        "LOG_LEVEL": "ERROR",
    }


def noon_timezone() -> str:
    """A fixed-offset zone whose local time is now between 10:30 and 13:30."""
    offset = 12 - datetime.now(UTC).hour  # hours east of UTC, -11..12
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"


def identity_index(i: int) -> int:
    return i - DUPLICATE_OF if i % DUPLICATE_EVERY == DUPLICATE_EVERY - 1 else i


def run_clients(port: int, paths: dict[int, str], tokens: dict[int, str]) -> Counter[int]:
    """CLIENTS threads with keep-alive connections; client t sends posts t, t+32, t+64, …"""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    failures: list[str] = []

    def client(t: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: Counter[int] = Counter()
        for i in range(t, POSTS, CLIENTS):
            side = i % 2
            headers = {"Content-Type": "application/json", "token": tokens[side]}
            for attempt in range(3):
                try:
                    conn.request("POST", paths[side], contact_body(identity_index(i)), headers)
                    response = conn.getresponse()
                    response.read()
                    mine[response.status] += 1
                    break
                except (OSError, http.client.HTTPException) as exc:
                    # A dropped keep-alive connection before the request was read: resend.
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if attempt == 2:
                        with lock:
                            failures.append(f"post {i}: {exc!r}")
        conn.close()
        with lock:
            statuses.update(mine)

    threads = [threading.Thread(target=client, args=(t,)) for t in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=1700)
    assert not failures, failures[:5]
    return statuses


def test_twenty_thousand_parallel_posts_lose_nothing_and_never_exceed_a_cap(
    tmp_path: Path,
) -> None:
    campaign = CampaignFactory.create(revenue=REVENUE, timezone=noon_timezone())
    for key, type_ in (("email", "email"), ("phone", "tel"), ("firstname", "text")):
        CampaignFieldFactory(campaign=campaign, key=key, type=type_)
    CampaignFieldFactory(campaign=campaign, key="zipcode", type="zipcode")
    entry_a = SourceCampaignFactory.create(campaign=campaign, cost=COST_A, scrub_rate=SCRUB_RATE)
    entry_b = SourceCampaignFactory.create(campaign=campaign, cost=COST_B, scrub_rate=SCRUB_RATE)
    # Calendar days, in a campaign timezone where it is about noon: no second window opens.
    cap_a = cap_save(cap=Cap(campaign=campaign, source=entry_a.source, limit=CAP_A, duration="day"))
    cap_campaign = cap_save(cap=Cap(campaign=campaign, limit=CAP_CAMPAIGN, duration="day"))
    CallbackEndpointFactory(url="http://127.0.0.1:9/never-called")
    entries = {0: entry_a, 1: entry_b}
    paths = {
        k: f"/source/{e.source_id}/campaign/{e.campaign_id}/contact" for k, e in entries.items()
    }
    tokens = {k: e.source.token for k, e in entries.items()}

    redis = RedisProcess(tmp_path).start()
    try:
        with harness.services() as started:
            web = harness.start_gunicorn(server_env(redis.url), tmp_path, name="gunicorn")
            started.append(web)
            began = time.monotonic()
            statuses = run_clients(web.port or 0, paths, tokens)
            elapsed = time.monotonic() - began
    finally:
        redis.stop()
    print(f"\n{POSTS} posts in {elapsed:.1f} s ({POSTS / elapsed:.0f}/s): {dict(statuses)}")

    # Every post was answered, none with a server error, and each wrote exactly one event.
    assert sum(statuses.values()) == POSTS
    assert set(statuses) <= {200, 409, 429}, statuses
    events = Counter(IntakeEvent.objects.values_list("status", flat=True))
    assert sum(events.values()) == POSTS
    assert events[IntakeStatus.ACCEPTED] + events[IntakeStatus.SCRUBBED] == statuses[200]
    assert events[IntakeStatus.DUPLICATE] == statuses[409] > 0
    assert events[IntakeStatus.LIMITED] == statuses[429] > 0
    assert events[IntakeStatus.SCRUBBED] > 0

    # Caps: exactly full, never over (there were far more candidates than room).
    accepted = Contact.objects.filter(status=IntakeStatus.ACCEPTED)
    assert accepted.count() == CAP_CAMPAIGN
    assert accepted.filter(source=entry_a.source).count() == CAP_A
    for cap, limit in ((cap_a, CAP_A), (cap_campaign, CAP_CAMPAIGN)):
        used = CapCounter.objects.filter(cap=cap).aggregate(s=Sum("used"))["s"]
        assert used == limit

    # Contacts: one per kept post, never two for one identity in a source+campaign.
    kept = Contact.objects.all()
    assert kept.count() == events[IntakeStatus.ACCEPTED] + events[IntakeStatus.SCRUBBED]
    assert kept.filter(status=IntakeStatus.SCRUBBED).count() == events[IntakeStatus.SCRUBBED]
    doubled = (
        kept.values("source_id", "identity_hash").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    assert doubled == 0
    assert (
        IntakeEvent.objects.filter(contact__isnull=False).values("contact_id").distinct().count()
        == kept.count()
    )

    # Ledger: a cost and a revenue row per accepted contact, nothing for scrubbed ones.
    ledger = LedgerEntry.objects
    assert ledger.filter(kind=LedgerKind.COST).count() == CAP_CAMPAIGN
    assert ledger.filter(kind=LedgerKind.REVENUE).count() == CAP_CAMPAIGN
    scrubbed = Contact.objects.filter(status=IntakeStatus.SCRUBBED).values("id")
    assert not ledger.filter(contact_id__in=scrubbed).exists()
    per_contact = ledger.values("contact_id").annotate(n=Count("id"))
    assert {row["n"] for row in per_contact} == {2}
    costs = ledger.filter(kind=LedgerKind.COST).aggregate(s=Sum("amount"))["s"]
    assert costs == CAP_A * COST_A + (CAP_CAMPAIGN - CAP_A) * COST_B
    revenue = ledger.filter(kind=LedgerKind.REVENUE).aggregate(s=Sum("amount"))["s"]
    assert revenue == CAP_CAMPAIGN * REVENUE

    # Outbox: one delivery per kept contact (accepted and scrubbed alike), none for the rest.
    deliveries = CallbackDelivery.objects
    assert deliveries.count() == kept.count()
    assert set(deliveries.values_list("contact_id", flat=True)) == set(
        kept.values_list("id", flat=True)
    )
    print(
        json.dumps(
            {
                "events": dict(events),
                "contacts": kept.count(),
                "ledger_rows": ledger.count(),
                "deliveries": deliveries.count(),
                "seconds": round(elapsed, 1),
            }
        )
    )
