from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from finance.models import Cap
from finance.services import caps_take
from tests.factories import CapFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


def take(cap: Cap, times: int, cost: Decimal = Decimal("1")) -> None:
    for _ in range(times):
        caps_take(caps=[cap], at=timezone.now(), cost=cost, timezone=cap.campaign.timezone)


@time_machine.travel("2026-03-10 12:00:00+00:00", tick=False)
def test_the_dashboard_shows_every_active_cap_fullest_first(marketer_client):
    entry = SourceCampaignFactory(campaign__timezone="UTC")
    daily: Cap = CapFactory.create(campaign=entry.campaign, source=entry.source, limit=10)
    budget: Cap = CapFactory.create(
        campaign=entry.campaign, kind="budget", limit=Decimal("100"), duration="month"
    )
    CapFactory(campaign=entry.campaign, limit=5, is_active=False)
    take(daily, 6)
    take(budget, 2, cost=Decimal("12.50"))

    response = marketer_client.get("/admin/caps/")

    rows = response.context["rows"]
    assert [row.cap.pk for row in rows] == [daily.pk, budget.pk]
    first = rows[0]
    assert (first.used, first.limit, first.percent, first.bar) == ("6", "10", Decimal("60.0"), 60)
    # Half the day gone, 6 used: at that pace 12 by midnight, reached at 20:00.
    assert first.resets_at == timezone.now() + timedelta(hours=12)
    assert first.reached_at == timezone.now() + timedelta(hours=8)
    assert first.level == "warn"
    assert (rows[1].used, rows[1].limit) == ("25.00", "100.00")
    page = response.content.decode()
    assert 'aria-valuenow="60"' in page and "2026-03-10 20:00" in page


@time_machine.travel("2026-03-10 12:00:00+00:00", tick=False)
def test_a_cap_past_ninety_percent_is_red(marketer_client):
    entry = SourceCampaignFactory(campaign__timezone="UTC")
    cap: Cap = CapFactory.create(campaign=entry.campaign, limit=10)
    take(cap, 10)

    row = marketer_client.get("/admin/caps/").context["rows"][0]

    assert (row.level, row.bar, row.reached_at) == ("danger", 100, timezone.now())


def test_the_main_dashboard_shows_the_fullest_caps(marketer_client):
    entry = SourceCampaignFactory()
    CapFactory(campaign=entry.campaign, limit=3)

    response = marketer_client.get("/admin/dashboard/")

    assert len(response.context["cap_rows"]) == 1
    assert 'href="/admin/caps/"' in response.content.decode()


def test_caps_need_their_permission(client):
    client.force_login(User.objects.create_user("intern", password="x", is_staff=True))

    assert client.get("/admin/caps/").status_code == 403
