from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ingest.models import IntakeEvent
from reports.models import IntakeStatHour
from reports.selectors import (
    StatsRange,
    intake_by_group,
    intake_by_status,
    intake_totals,
    money_by_bucket,
    source_today_totals,
)
from reports.selectors import stats as stats_selectors
from reports.stats_rollup import intake_stats_rebuild, intake_stats_rollup
from tests.factories import IntakeEventFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 10, tzinfo=UTC)
THREE_DAYS = StatsRange(start=DAY, end=DAY + timedelta(days=3), bucket="day")


def at(days: float = 0, hours: float = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hours)


@pytest.fixture
def entries():
    first = SourceCampaignFactory(cost=Decimal("2.00"), campaign__revenue=Decimal("5.00"))
    second = SourceCampaignFactory(cost=Decimal("1.00"), campaign__revenue=Decimal("3.00"))
    return first, second


def test_it_counts_each_status_per_day_with_zeros_for_quiet_days(entries):
    first, _ = entries
    IntakeEventFactory.create_batch(2, entry=first, created_at=at(0, 1))
    IntakeEventFactory(entry=first, status="invalid", created_at=at(0, 2))
    IntakeEventFactory(entry=first, created_at=at(2, 23.5))
    IntakeEventFactory(entry=first, created_at=at(3))  # the end is exclusive

    series = intake_by_status(THREE_DAYS)

    assert series.labels == [at(0), at(1), at(2)]
    assert series.datasets == {"Accepted": [2, 0, 1], "Invalid": [1, 0, 0]}


def test_it_leaves_out_test_posts_and_idempotent_replays(entries):
    first, _ = entries
    original = IntakeEventFactory(entry=first, created_at=at(0, 1))
    IntakeEventFactory(entry=first, created_at=at(0, 1), is_test=True)
    IntakeEventFactory(entry=first, created_at=at(0, 1), replay_of=original)

    assert intake_by_status(THREE_DAYS).datasets == {"Accepted": [1, 0, 0]}
    assert intake_totals(THREE_DAYS).accepted == 1


def test_it_buckets_by_hour_and_narrows_to_a_source_or_a_campaign(entries):
    first, second = entries
    IntakeEventFactory(entry=first, created_at=at(0, 1.5))
    IntakeEventFactory(entry=second, created_at=at(0, 1.2))
    IntakeEventFactory(entry=second, created_at=at(0, 3))
    hours = StatsRange(start=at(0), end=at(0, 4), bucket="hour", source_id=second.source_id)

    series = intake_by_status(hours)

    assert series.labels == [at(0, 0), at(0, 1), at(0, 2), at(0, 3)]
    assert series.datasets == {"Accepted": [0, 1, 0, 1]}
    by_campaign = StatsRange(start=at(0), end=at(1), campaign_id=first.campaign_id)
    assert intake_by_status(by_campaign).datasets == {"Accepted": [1]}


def test_it_draws_a_series_per_campaign_biggest_first_and_folds_the_rest(entries, monkeypatch):
    first, second = entries
    third = SourceCampaignFactory(source=first.source)
    IntakeEventFactory.create_batch(3, entry=second, created_at=at(0, 1))
    IntakeEventFactory.create_batch(2, entry=first, created_at=at(1, 1))
    IntakeEventFactory(entry=third, created_at=at(1, 2))
    IntakeEventFactory(entry=third, status="duplicate", created_at=at(1, 2))
    monkeypatch.setattr(stats_selectors, "MAX_SERIES", 2)

    series = intake_by_group(THREE_DAYS, by="campaign")

    assert series.datasets == {
        second.campaign.name: [3, 0, 0],
        first.campaign.name: [0, 2, 0],
        "Other": [0, 1, 0],
    }
    by_source = intake_by_group(THREE_DAYS, by="source", status="duplicate")
    assert by_source.datasets == {first.source.name: [0, 1, 0]}


def test_money_is_cost_revenue_and_margin_of_accepted_contacts(entries):
    first, second = entries
    IntakeEventFactory.create_batch(2, entry=first, created_at=at(0, 1))
    IntakeEventFactory(entry=second, created_at=at(1, 1))
    IntakeEventFactory(entry=second, status="scrubbed", created_at=at(1, 1))

    series = money_by_bucket(THREE_DAYS)

    assert series.datasets == {
        "Cost": [4.0, 1.0, 0.0],
        "Revenue": [10.0, 3.0, 0.0],
        "Margin": [6.0, 2.0, 0.0],
    }
    totals = intake_totals(THREE_DAYS)
    assert (totals.accepted, totals.rejected) == (3, 1)
    assert (totals.cost, totals.revenue, totals.margin) == (Decimal(5), Decimal(13), Decimal(8))


def _figures():
    return (
        intake_by_status(THREE_DAYS).datasets,
        intake_by_group(THREE_DAYS, by="source").datasets,
        money_by_bucket(THREE_DAYS).datasets,
        intake_totals(THREE_DAYS),
        intake_by_status(StatsRange(start=at(1), end=at(2), bucket="hour")).datasets,
        # Ends inside an hour that is rolled up: that hour comes from the log.
        intake_totals(StatsRange(start=at(0), end=at(0, 5.6))),
    )


def test_the_hourly_rollup_and_the_raw_log_give_the_same_figures(entries):
    first, second = entries
    for hour in range(0, 60, 5):
        IntakeEventFactory(entry=first, created_at=at(0, hour + 0.25))
        IntakeEventFactory(entry=second, status="limited", created_at=at(0, hour + 0.75))
        IntakeEventFactory(entry=second, created_at=at(0, hour + 0.5))
    raw = _figures()

    # A watermark in the middle of an hour: rollup rows before it, raw events after it.
    intake_stats_rollup(now=at(1, 7.4) + timedelta(seconds=120))

    assert IntakeStatHour.objects.exists()
    assert _figures() == raw
    assert raw[-1].total == 5


def test_the_rollup_adds_each_event_once_however_often_it_runs(entries):
    first, _ = entries
    IntakeEventFactory.create_batch(3, entry=first, created_at=at(0, 1.2))
    intake_stats_rollup(now=at(0, 1.5))
    IntakeEventFactory.create_batch(2, entry=first, created_at=at(0, 1.7))
    intake_stats_rollup(now=at(0, 2))
    intake_stats_rollup(now=at(0, 2))

    row = IntakeStatHour.objects.get()
    assert (row.hour, row.events, row.cost) == (at(0, 1), 5, Decimal("10.00"))
    assert intake_by_status(THREE_DAYS).datasets == {"Accepted": [5, 0, 0]}


def test_a_rebuild_counts_events_written_into_the_past(entries):
    first, _ = entries
    intake_stats_rollup(now=at(2))
    IntakeEventFactory(entry=first, created_at=at(0, 5))  # behind the watermark: not counted
    assert intake_by_status(THREE_DAYS).datasets == {}

    intake_stats_rebuild(now=at(2))

    assert intake_by_status(THREE_DAYS).datasets == {"Accepted": [1, 0, 0]}


def test_a_chart_costs_the_same_few_queries_however_many_events(entries, django_assert_num_queries):
    _first, second = entries
    for entry in entries:
        IntakeEventFactory.create_batch(30, entry=entry, created_at=at(0, 3))
    intake_stats_rollup(now=at(1))
    IntakeEventFactory.create_batch(10, entry=second, created_at=at(1, 3))

    # Watermark, rollup rows, raw events after the watermark, and the campaigns' names.
    with django_assert_num_queries(4):
        series = intake_by_group(THREE_DAYS, by="campaign")

    assert sum(sum(values) for values in series.datasets.values()) == 70
    assert IntakeEvent.objects.count() == 70


def test_it_gives_each_source_its_totals_for_today(entries):
    first, second = entries
    now = at(1, 15)
    IntakeEventFactory.create_batch(2, entry=first, created_at=at(1, 1))
    IntakeEventFactory(entry=first, status="invalid", created_at=at(1, 2))
    IntakeEventFactory(entry=first, created_at=at(0, 23))  # yesterday

    totals = source_today_totals([first.source_id, second.source_id], now=now)

    assert (totals[first.source_id].accepted, totals[first.source_id].rejected) == (2, 1)
    assert totals[first.source_id].cost == Decimal("4.00")
    assert totals[second.source_id].total == 0
