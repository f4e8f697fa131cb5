"""Taking room in caps (finance.services.caps_take): quantities, budgets, windows, several caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from finance.capstate import tightest
from finance.models import CapCounter
from finance.selectors import caps_applicable, caps_state
from finance.services import CapExceeded, caps_take
from tests.factories import CampaignFactory, CapFactory, SourceFactory

pytestmark = pytest.mark.django_db

AT = datetime(2024, 1, 10, 15, 0, tzinfo=UTC)
TZ = "America/New_York"


def take(caps, *, at=AT, cost=Decimal("2.50")):
    return caps_take(caps=caps, at=at, cost=cost, timezone=TZ)


def test_a_quantity_cap_admits_exactly_its_limit_then_refuses():
    cap = CapFactory.create(limit=3)
    for _ in range(3):
        take([cap])
    with pytest.raises(CapExceeded):
        take([cap])
    assert CapCounter.objects.get(cap=cap).used == 3


def test_a_budget_admits_the_contact_that_brings_spending_exactly_to_it():
    cap = CapFactory.create(kind="budget", limit=Decimal("5.00"))
    take([cap], cost=Decimal("2.50"))
    take([cap], cost=Decimal("2.50"))
    with pytest.raises(CapExceeded):
        take([cap], cost=Decimal("0.01"))
    assert CapCounter.objects.get(cap=cap).used == Decimal("5.00")


def test_a_budget_refuses_a_single_contact_that_costs_more_than_all_of_it():
    cap = CapFactory.create(kind="budget", limit=Decimal("1.00"))
    with pytest.raises(CapExceeded):
        take([cap], cost=Decimal("1.01"))
    assert not CapCounter.objects.exists()


def test_a_calendar_day_starts_again_at_local_midnight():
    cap = CapFactory.create(limit=1, duration="day")
    take([cap], at=datetime(2024, 1, 10, 4, 59, tzinfo=UTC))  # 23:59 on the 9th in New York
    take([cap], at=datetime(2024, 1, 10, 5, 0, tzinfo=UTC))  # 00:00 on the 10th
    with pytest.raises(CapExceeded):
        take([cap], at=datetime(2024, 1, 10, 20, 0, tzinfo=UTC))


def test_a_rolling_cap_frees_a_slot_once_its_oldest_contact_leaves_the_window():
    cap = CapFactory.create(limit=2, duration="PT1H")
    take([cap], at=AT)
    take([cap], at=AT + timedelta(minutes=30))
    with pytest.raises(CapExceeded):
        take([cap], at=AT + timedelta(minutes=59))
    state = caps_state(caps=[cap], at=AT + timedelta(minutes=59), cost=Decimal("1"), timezone=TZ)
    # The first contact's bucket stops counting one hour and one bucket (a minute) after it.
    assert state[0].retry_after() == 120
    take([cap], at=AT + timedelta(minutes=61))


def test_the_tightest_of_several_caps_wins_and_nothing_is_taken_from_the_others():
    campaign = CampaignFactory.create()
    source = SourceFactory.create()
    wide = CapFactory.create(campaign=campaign, limit=100)
    narrow = CapFactory.create(campaign=campaign, source=source, limit=1, duration="week")
    caps = caps_applicable(campaign_id=campaign.pk, source_id=source.pk, utm_source="")
    assert caps == [wide, narrow]
    take(caps)
    # As in the intake: a refusal rolls back the caller's transaction, the wide cap's +1 too.
    with pytest.raises(CapExceeded), transaction.atomic():
        take(caps)
    assert CapCounter.objects.get(cap=wide).used == 1
    states = caps_state(caps=caps, at=AT, cost=Decimal("1"), timezone=TZ)
    worst = tightest(states)
    assert worst is not None and worst.cap == narrow


def test_a_utm_source_cap_counts_and_limits_only_that_utm_source():
    campaign = CampaignFactory.create()
    source = SourceFactory.create()
    CapFactory.create(
        campaign=campaign, source=source, limit=1, scope="utm_source", utm_source="fb"
    )
    fb = caps_applicable(campaign_id=campaign.pk, source_id=source.pk, utm_source="fb")
    other = caps_applicable(campaign_id=campaign.pk, source_id=source.pk, utm_source="google")
    assert len(fb) == 1 and other == []
    take(fb)
    with pytest.raises(CapExceeded):
        take(fb)


def test_caps_of_other_sources_and_inactive_caps_do_not_apply():
    campaign = CampaignFactory.create()
    mine, theirs = SourceFactory.create(), SourceFactory.create()
    CapFactory.create(campaign=campaign, source=theirs)
    CapFactory.create(campaign=campaign, is_active=False)
    assert caps_applicable(campaign_id=campaign.pk, source_id=mine.pk, utm_source="") == []


def test_no_caps_take_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert take([]) == []
