"""The benchmark's data, in its own database: the campaign DESIGN §11 describes, and counts.

Needs Django set up (bench/run.py does it with the bench environment first).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from bench.harness import cpu_seconds, cpu_spent
from campaigns.models import Campaign, CampaignField
from contactsource.tokens import token_hash
from sources.models import Source, SourceCampaign

BENCH_TOKEN = "bench-token-not-a-secret-0123456789"
SOURCE_NAME = "Bench source"
CAMPAIGN_NAME = "Bench campaign"
FIELDS = (
    ("email", "email", True),
    ("phone", "tel", True),
    ("firstname", "text", False),
    ("zipcode", "zipcode", False),
)
SCRUB_RATE = 10


@dataclass(frozen=True)
class BenchTarget:
    source_id: int
    campaign_id: int
    token: str = BENCH_TOKEN

    @property
    def intake_path(self) -> str:
        return f"/source/{self.source_id}/campaign/{self.campaign_id}/contact"

    @property
    def batch_path(self) -> str:
        return f"/source/{self.source_id}/campaign/{self.campaign_id}/contacts"

    @property
    def bare_path(self) -> str:
        return f"/bench/bare/{self.source_id}/{self.campaign_id}"


def seed(*, callback_url: str) -> BenchTarget:
    """A campaign with two caps (too large to be hit), cost and revenue, four fields, a scrub
    rate and an active callback endpoint, so every accepted post runs the whole pipeline."""
    from finance.models import Cap, CapKind
    from finance.services import cap_save
    from subscriptions.models import CallbackEndpoint

    campaign, _ = Campaign.objects.get_or_create(
        name=CAMPAIGN_NAME, defaults={"revenue": Decimal("5.00"), "phone_region": "US"}
    )
    for position, (key, type_, required) in enumerate(FIELDS):
        CampaignField.objects.get_or_create(
            campaign=campaign,
            key=key,
            defaults={"type": type_, "required": required, "position": position},
        )
    source, _ = Source.objects.get_or_create(name=SOURCE_NAME)
    source.token_hash = token_hash(BENCH_TOKEN)
    source.save(update_fields=["token_hash"])
    SourceCampaign.objects.update_or_create(
        source=source,
        campaign=campaign,
        defaults={"cost": Decimal("2.50"), "scrub_rate": SCRUB_RATE, "is_active": True},
    )
    if os.environ.get("BENCH_CAPS", "1") == "0":
        # For comparison only (docs/benchmarks.md): the same pipeline without its two caps.
        Cap.objects.filter(campaign=campaign).delete()
    elif not Cap.objects.filter(campaign=campaign).exists():
        # One per entry (this source) by count, one for the whole campaign by money.
        cap_save(cap=Cap(campaign=campaign, source=source, limit=Decimal(10**8), duration="day"))
        cap_save(
            cap=Cap(campaign=campaign, kind=CapKind.BUDGET, limit=Decimal(10**9), duration="P30D")
        )
    endpoint, _ = CallbackEndpoint.objects.update_or_create(
        name="Bench receiver", defaults={"url": callback_url, "is_active": True}
    )
    endpoint.campaigns.set([campaign])
    return BenchTarget(source_id=source.pk, campaign_id=campaign.pk)


def endpoint_url_set(url: str) -> None:
    from subscriptions.models import CallbackEndpoint

    CallbackEndpoint.objects.filter(name="Bench receiver").update(
        url=url, is_active=True, consecutive_failures=0, failing_since=None, disabled_at=None
    )


INTAKE_TABLES = (
    "subscriptions_callbackdelivery",
    "subscriptions_subscription",
    "subscriptions_person",
    "finance_ledgerentry",
    "finance_capcounter",
    "ingest_intakeevent",
    "ingest_contact",
)


def rolling_caps_aged(target: BenchTarget) -> int:
    """The counters a campaign a whole window old has: one bucket with use in every bucket of
    each rolling cap's window (a 30-day cap: 61). A new campaign's rolling cap has one or two,
    and the bench then measured the intake's read of them (ROLLING_BUCKETS_SQL) on a state no
    campaign stays in for long. Returns the rows added."""
    from datetime import timedelta

    from django.utils import timezone

    from finance.models import Cap, CapCounter
    from finance.windows import window_at

    now = timezone.now()
    rows = []
    for cap in Cap.objects.filter(campaign_id=target.campaign_id).select_related("campaign"):
        duration = cap.parsed_duration
        if not duration.rolling:
            continue
        window = window_at(duration, now, cap.campaign.timezone)
        size = timedelta(seconds=duration.bucket_seconds)
        start = window.start
        while start < window.key:
            rows.append(CapCounter(cap=cap, window_start=start, used=Decimal(1), limit=cap.limit))
            start += size
    return len(CapCounter.objects.bulk_create(rows, ignore_conflicts=True))


def truncate_intake() -> None:
    """Start a step from empty tables so runs compare like with like (`Autoanalyze` keeps
    their statistics current as the step fills them)."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(INTAKE_TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute(f"VACUUM {', '.join(INTAKE_TABLES)}")


class Autoanalyze:
    """What autovacuum does on a live database, while a step runs: ANALYZE the intake's tables
    every few seconds, from a connection of its own.

    The PostgreSQL this was built on runs with `autovacuum = off`, and a step adds rows fast;
    production keeps autovacuum on (PostgreSQL's default; see docs/deploy.md), which analyzes a
    table once a tenth of it has changed. Without any ANALYZE, 1,000-contact batches took
    1.4-2.5 s where the same code took 0.44-0.55 s on an analyzed database (2026-12-05).
    """

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._held = threading.Event()
        self._running = threading.Lock()  # held while an ANALYZE runs
        self._thread = threading.Thread(target=self._run, name="autoanalyze", daemon=True)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No ANALYZE in the block (one under way is waited for). For the latency runs: an
        ANALYZE of every intake table every 5 s is a burst of CPU on this 2-core machine,
        then a re-plan of every prepared statement on every connection, and it put 100-170 ms
        into the full pipeline's p99 at half load (22-39 ms without it, docs/benchmarks.md,
        session 7); the tables barely grow during those runs."""
        with self._running:
            self._held.set()
        try:
            yield
        finally:
            self._held.clear()

    def __enter__(self) -> Autoanalyze:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        import psycopg

        url = os.environ["DATABASE_URL"]
        with psycopg.connect(url, autocommit=True, application_name=BENCH_OWN) as conn:
            while True:
                with self._running:
                    if not self._held.is_set():
                        conn.execute(f"ANALYZE {', '.join(INTAKE_TABLES)}")
                if self._stop.wait(self.interval):
                    return


# The benchmark's own connections (this process's ANALYZE thread, BackendCpu's sampler) are
# named so that BackendCpu leaves them out of the server's CPU per request.
BENCH_OWN = "bench-own"


class BackendCpu:
    """The CPU seconds spent by the PostgreSQL backends serving the bench database to others
    (the web's connections) during the block. Sampled every quarter second, so a backend that
    ends inside the block (a connection closed after CONN_MAX_AGE) still counts up to its last
    sample; one that starts inside it counts whole."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backend-cpu", daemon=True)

    @property
    def spent(self) -> float:
        return cpu_spent(self.first, self.last)

    def __enter__(self) -> BackendCpu:
        import psycopg

        self._conn = psycopg.connect(
            os.environ["DATABASE_URL"], autocommit=True, application_name=BENCH_OWN
        )
        self.first = self._sample()
        self.last = dict(self.first)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.last.update(self._sample())
        self._conn.close()

    def _sample(self) -> dict[int, float]:
        rows = self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND application_name IS DISTINCT FROM %s",
            [BENCH_OWN],
        ).fetchall()
        return cpu_seconds([row[0] for row in rows])

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.last.update(self._sample())


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def counts() -> dict[str, int]:
    """Rows in the intake's tables. `merged`: kept contacts (accepted or scrubbed) that found
    their person already there; every post of the bench is a new person, so anything but 0
    means reused numbers and a step that measured merges (bench/pace.py's SLOT)."""
    from finance.models import LedgerEntry
    from ingest.models import Contact, IntakeEvent, IntakeStatus
    from subscriptions.models import CallbackDelivery, Person

    kept = IntakeEvent.objects.filter(
        status__in=[IntakeStatus.ACCEPTED, IntakeStatus.SCRUBBED], is_test=False
    ).count()
    persons = Person.objects.count()
    return {
        "contacts": Contact.objects.count(),
        "events": IntakeEvent.objects.count(),
        "ledger_rows": LedgerEntry.objects.count(),
        "deliveries": CallbackDelivery.objects.count(),
        "persons": persons,
        "merged": kept - persons,
    }
