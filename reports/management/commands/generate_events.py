"""Fill the intake log with synthetic events, to time the admin's charts and lists at scale.

`manage.py generate_events --count 1000000 --days 30` spreads events over the existing whitelist
entries (creating a benchmark source and campaign when there are none) and the last N days,
with a realistic mix of statuses. On PostgreSQL it inserts with INSERT … SELECT generate_series
in batches (a million rows in well under a minute); elsewhere with bulk_create.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from campaigns.services import campaign_create
from reports.stats_rollup import intake_stats_rebuild
from sources.models import SourceCampaign
from sources.services import source_campaign_set, source_create

# (upper bound of a 0-99 bucket, status, HTTP status): 70 % accepted, the rest spread out.
STATUS_MIX = [
    (70, "accepted", 200),
    (75, "scrubbed", 200),
    (78, "rejected", 200),
    (86, "duplicate", 409),
    (90, "limited", 429),
    (98, "invalid", 422),
    (100, "error", 500),
]
CHARGED = {"accepted"}

_STATUS_SQL = (
    "CASE "
    + " ".join(
        f"WHEN g.i * 7919 %% 100 < {bound} THEN '{status}'" for bound, status, _h in STATUS_MIX
    )
    + " END"
)
_HTTP_SQL = (
    "CASE "
    + " ".join(f"WHEN g.i * 7919 %% 100 < {bound} THEN {http}" for bound, _s, http in STATUS_MIX)
    + " END"
)

# The inserted columns; created_at spreads rows at random over the last `days` days.
# Only constants are formatted in; every value is a bound parameter.
INSERT_SQL = f"""
WITH entries AS (
    SELECT * FROM unnest(%(idx)s::int[], %(sources)s::bigint[], %(campaigns)s::bigint[],
                         %(costs)s::numeric[], %(revenues)s::numeric[])
        AS e(idx, source_id, campaign_id, cost, revenue)
), rows AS (
    SELECT g.i, e.*, {_STATUS_SQL} AS status, {_HTTP_SQL} AS http_status
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g(i)
    JOIN entries e ON e.idx = g.i %% %(entry_count)s
)
INSERT INTO ingest_intakeevent (
    request_id, source_id, campaign_id, requested_source_id, requested_campaign_id, status,
    http_status, cost, revenue, email, phone, duration, is_test, idempotency_key, created_at
)
SELECT gen_random_uuid(), source_id, campaign_id, source_id::text, campaign_id::text, status,
    http_status,
    CASE WHEN status = 'accepted' THEN cost END,
    CASE WHEN status = 'accepted' THEN revenue END,
    'bench' || i || '@example.com', '+1727' || lpad((i %% 10000000)::text, 7, '0'),
    0.004, false, '', %(now)s::timestamptz - random() * %(days)s * interval '1 day'
FROM rows
"""  # noqa: S608


class Command(BaseCommand):
    help = "Insert synthetic intake events (for admin benchmarks; never on a real database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--batch", type=int, default=100_000)

    def handle(self, *args: Any, **options: Any) -> None:
        count, days, batch = options["count"], options["days"], max(1, options["batch"])
        entries = list(SourceCampaign.objects.select_related("campaign").order_by("pk"))
        if not entries:
            entries = _bench_entries()
        done = 0
        while done < count:
            size = min(batch, count - done)
            _insert_sql(entries, first=done, last=done + size - 1, days=days)
            done += size
            self.stdout.write(f"{done} / {count} events")
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                # Fresh statistics and visibility map, as autovacuum would leave them.
                cursor.execute("VACUUM ANALYZE ingest_intakeevent")
        # The events are in the past, behind the rollup's watermark: build it again.
        intake_stats_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Inserted {count} intake events over {days} days."))


def _bench_entries(sources: int = 10, campaigns: int = 4) -> list[SourceCampaign]:
    """Ten sources, each whitelisted for two of four campaigns."""
    made = [
        campaign_create(name=f"Benchmark campaign {n}", revenue=Decimal("6.00") + n)
        for n in range(1, campaigns + 1)
    ]
    entries = []
    for n in range(1, sources + 1):
        source, _token = source_create(name=f"Benchmark source {n}")
        for campaign in (made[n % campaigns], made[(n + 1) % campaigns]):
            cost = Decimal("2.00") + Decimal(n) / 10
            entries.append(source_campaign_set(source=source, campaign_id=campaign.pk, cost=cost))
    return entries


def _insert_sql(entries: list[SourceCampaign], *, first: int, last: int, days: int) -> None:
    params: dict[str, Any] = {
        "idx": list(range(len(entries))),
        "sources": [e.source_id for e in entries],
        "campaigns": [e.campaign_id for e in entries],
        "costs": [e.cost for e in entries],
        "revenues": [e.campaign.revenue for e in entries],
        "first": first,
        "last": last,
        "entry_count": len(entries),
        "now": timezone.now(),
        "days": days,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, params)


def _status_of(i: int) -> tuple[str, int]:
    bucket = i * 7919 % 100
    return next((s, h) for bound, s, h in STATUS_MIX if bucket < bound)
