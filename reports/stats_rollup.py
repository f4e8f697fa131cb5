"""Roll counted intake events up into IntakeStatHour, a couple of minutes behind the log.

A beat task calls `intake_stats_rollup` every minute: it adds the events between the last
watermark and `now - margin` to their hour's rows and moves the watermark. The margin leaves
time for transactions that started before the watermark to commit (an intake commits within
a second, an import chunk within seconds), so no event lands behind it. Whatever writes events
into the past (`generate_events`) calls `intake_stats_rebuild` afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from reports.models import IntakeStatHour, IntakeStatRollup
from reports.selectors.stats import ROLLUP_NAME, counted_events

ZERO = Decimal("0")
# At most this much of the log per transaction: the first run over a big table stays bounded.
STEP = timedelta(days=7)

Key = tuple[datetime, int | None, int | None, str]


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _groups(since: datetime, until: datetime) -> list[dict[str, Any]]:
    rows: Any = (
        counted_events()
        .filter(created_at__gte=since, created_at__lt=until)
        .annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values("hour", "source_id", "campaign_id", "status")
        .annotate(n=Count("id"), cost=Sum("cost"), revenue=Sum("revenue"))
        .order_by()
    )
    return list(rows)


def _add(since: datetime, until: datetime) -> int:
    """Add the events of [since, until) to the hour rows; returns how many groups changed."""
    groups = _groups(since, until)
    # Only the hour the old watermark fell in can already have rows: everything after is new.
    existing: dict[Key, IntakeStatHour] = {
        (row.hour, row.source_id, row.campaign_id, row.status): row
        for row in IntakeStatHour.objects.filter(hour=_floor_hour(since))
    }
    updated, created = [], []
    for group in groups:
        key = (group["hour"], group["source_id"], group["campaign_id"], group["status"])
        row = existing.get(key)
        if row is None:
            row = IntakeStatHour(
                hour=group["hour"],
                source_id=group["source_id"],
                campaign_id=group["campaign_id"],
                status=group["status"],
            )
            created.append(row)
        else:
            updated.append(row)
        row.events += group["n"]
        row.cost += group["cost"] or ZERO
        row.revenue += group["revenue"] or ZERO
    IntakeStatHour.objects.bulk_update(updated, ["events", "cost", "revenue"])
    IntakeStatHour.objects.bulk_create(created, batch_size=2000)
    return len(groups)


def intake_stats_rollup(*, now: datetime | None = None) -> int:
    """Move the watermark up to `now - margin` (in bounded steps); returns the groups touched."""
    until = (now or timezone.now()) - timedelta(seconds=settings.STATS_ROLLUP_MARGIN_SECONDS)
    touched = 0
    while True:
        with transaction.atomic():
            # The row lock keeps two runs from adding the same events twice.
            state, _ = IntakeStatRollup.objects.select_for_update().get_or_create(name=ROLLUP_NAME)
            since = state.rolled_until or _first_event_hour(until)
            if since >= until:
                if state.rolled_until is None:  # nothing logged yet: start the watermark here
                    state.rolled_until = until
                    state.save(update_fields=["rolled_until"])
                return touched
            step_end = min(until, since + STEP)
            touched += _add(since, step_end)
            state.rolled_until = step_end
            state.save(update_fields=["rolled_until"])


def _first_event_hour(default: datetime) -> datetime:
    first = counted_events().aggregate(first=Min("created_at"))["first"]
    return _floor_hour(first) if first else default


@transaction.atomic
def intake_stats_rebuild(*, now: datetime | None = None) -> int:
    """Forget the rollup and build it again from the whole log (after backfills)."""
    IntakeStatRollup.objects.select_for_update().filter(name=ROLLUP_NAME).delete()
    IntakeStatHour.objects.all().delete()
    return intake_stats_rollup(now=now)
