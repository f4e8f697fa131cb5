"""A new or re-scoped cap starts from the ledger; old counter rows are pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from finance.models import Cap, CapCounter
from finance.services import cap_counters_prune, cap_save, caps_take
from tests.factories import CampaignFieldFactory, CapFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

AT = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)


@pytest.fixture
def entry_with_history(post_contact):
    entry = SourceCampaignFactory.create(cost=Decimal("2.00"))
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    for minutes, utm in [(-90, "fb"), (-30, "fb"), (-10, "tt")]:
        with time_machine.travel(AT + timedelta(minutes=minutes), tick=False):
            post_contact(entry, {"email": f"h{minutes}@example.com", "utm_source": utm})
    return entry


@time_machine.travel(AT, tick=False)
def test_a_new_rolling_cap_counts_what_the_ledger_holds_in_its_window(entry_with_history):
    entry = entry_with_history
    cap = cap_save(cap=Cap(campaign=entry.campaign, limit=Decimal("3"), duration="PT1H"))
    assert sum(c.used for c in CapCounter.objects.filter(cap=cap)) == 2


@time_machine.travel(AT, tick=False)
def test_a_new_budget_sums_cost_and_a_utm_cap_counts_its_utm_source_only(entry_with_history):
    entry = entry_with_history
    budget = cap_save(
        cap=Cap(campaign=entry.campaign, kind="budget", limit=Decimal("50"), duration="day")
    )
    fb = cap_save(
        cap=Cap(
            campaign=entry.campaign,
            source=entry.source,
            limit=Decimal("5"),
            scope="utm_source",
            utm_source="fb",
            duration="day",
        )
    )
    assert CapCounter.objects.get(cap=budget).used == Decimal("6.00")
    assert CapCounter.objects.get(cap=fb).used == 2


@time_machine.travel(AT, tick=False)
def test_changing_only_the_limit_keeps_the_count_and_changing_the_window_recounts(
    entry_with_history,
):
    cap = cap_save(cap=Cap(campaign=entry_with_history.campaign, limit=Decimal("3")))
    CapCounter.objects.filter(cap=cap).update(used=3)  # as if more came in meanwhile
    cap.limit = Decimal("4")
    cap_save(cap=cap)
    assert CapCounter.objects.get(cap=cap).used == 3
    cap.duration = "PT1H"
    cap_save(cap=cap)
    assert sum(c.used for c in CapCounter.objects.filter(cap=cap)) == 2


def test_pruning_drops_rolling_buckets_out_of_their_window_and_keeps_calendar_history():
    rolling = CapFactory.create(limit=100, duration="PT1H")
    daily = CapFactory.create(limit=100, duration="day")
    for hours_ago in (0, 2, 30):
        caps_take(
            caps=[rolling, daily],
            at=AT - timedelta(hours=hours_ago),
            cost=Decimal("1"),
            timezone="UTC",
        )

    removed = cap_counters_prune(at=AT)

    assert removed == 2
    assert CapCounter.objects.filter(cap=rolling).count() == 1
    assert CapCounter.objects.filter(cap=daily).count() == 2
    assert cap_counters_prune(at=AT + timedelta(days=401)) == 3
