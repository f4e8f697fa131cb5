"""Budget use per cap and the forecast of when each cap will be reached at the current pace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from finance.selectors import caps_usage
from finance.services import caps_take
from tests.factories import CampaignFactory, CapFactory

pytestmark = pytest.mark.django_db

TZ = "America/New_York"
# Midnight in New York on Wednesday 2024-01-10.
MIDNIGHT = datetime(2024, 1, 10, 5, 0, tzinfo=UTC)


def take(cap, at, n=1, cost=Decimal("1")):
    for _ in range(n):
        caps_take(caps=[cap], at=at, cost=cost, timezone=TZ)


def test_a_calendar_cap_is_forecast_from_its_pace_since_the_window_opened():
    cap = CapFactory.create(campaign=CampaignFactory.create(timezone=TZ), limit=100, duration="day")
    take(cap, MIDNIGHT + timedelta(hours=1), n=30)
    now = MIDNIGHT + timedelta(hours=6)

    [usage] = caps_usage(at=now)

    assert usage.state.used == 30
    assert usage.percent == Decimal("30.0")
    assert usage.pace_per_hour == Decimal("5.00")  # 30 in the 6 hours since midnight
    assert usage.projected == Decimal("120")  # 30 + 5/h for the 18 hours left
    assert usage.reached_at == now + timedelta(hours=14)  # 70 more at 5 an hour


def test_a_calendar_cap_not_reached_at_this_pace_has_no_date():
    cap = CapFactory.create(campaign=CampaignFactory.create(timezone=TZ), limit=100, duration="day")
    take(cap, MIDNIGHT + timedelta(hours=1), n=6)

    [usage] = caps_usage(at=MIDNIGHT + timedelta(hours=12))

    assert usage.reached_at is None
    assert usage.projected == Decimal("12")


def test_a_full_cap_is_reached_now():
    cap = CapFactory.create(campaign=CampaignFactory.create(timezone=TZ), limit=2, duration="week")
    now = MIDNIGHT + timedelta(hours=3)
    take(cap, now, n=2)
    [usage] = caps_usage(at=now)
    assert usage.reached_at == now
    assert usage.percent == Decimal("100.0")


def test_a_rolling_cap_is_forecast_from_its_recent_pace_as_old_contacts_age_out():
    cap = CapFactory.create(campaign=CampaignFactory.create(timezone=TZ), limit=10, duration="PT4H")
    # 8 contacts three hours ago (they leave the window in about an hour), 2 in the last hour.
    take(cap, MIDNIGHT, n=8)
    take(cap, MIDNIGHT + timedelta(hours=2, minutes=30), n=2)
    now = MIDNIGHT + timedelta(hours=3)

    [usage] = caps_usage(at=now)

    assert usage.state.used == 10
    assert usage.pace_per_hour == Decimal("2.00")
    assert usage.reached_at == now  # full right now
    assert usage.projected == Decimal("8")  # 2 an hour over 4 hours: below 10 once old ones go


def test_a_budgets_use_is_money():
    campaign = CampaignFactory.create(timezone=TZ)
    cap = CapFactory.create(
        campaign=campaign, kind="budget", limit=Decimal("100.00"), duration="month"
    )
    take(cap, MIDNIGHT, n=4, cost=Decimal("2.50"))

    [usage] = caps_usage(at=MIDNIGHT + timedelta(hours=1), campaign_id=campaign.pk)

    assert usage.state.used == Decimal("10.00")
    assert usage.state.remaining == Decimal("90.00")
    assert usage.percent == Decimal("10.0")
