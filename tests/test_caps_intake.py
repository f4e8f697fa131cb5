"""Caps through the intake: 429 with Retry-After and the cap's name, RateLimit fields, verbose."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from finance.models import CapCounter, LedgerEntry
from ingest.models import Contact, IntakeEvent
from tests.factories import CapFactory

pytestmark = pytest.mark.django_db

# Wednesday 2024-01-10 15:00 in New York (the factories' campaign timezone).
NOON_ISH = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)


def emails(n, start=0):
    return [{"email": f"c{i}@example.com"} for i in range(start, start + n)]


@time_machine.travel(NOON_ISH, tick=False)
def test_a_full_cap_answers_429_limited_with_its_name_and_retry_after(entry, post_contact):
    CapFactory.create(campaign=entry.campaign, source=entry.source, limit=2, duration="day")
    for data in emails(2):
        assert post_contact(entry, data).status_code == 200

    response = post_contact(entry, {"email": "late@example.com"})

    assert response.status_code == 429
    assert response.data["status"] == "limited"
    assert response.data["success"] is False
    assert response.data["contact"] is None
    assert response.data["errors"] == {
        "429": "Cap exceeded: no more than 2 contacts per day for this campaign."
    }
    # Midnight in New York is 05:00 UTC: 9 hours away.
    assert response["Retry-After"] == str(9 * 3600)
    assert Contact.objects.count() == 2
    assert LedgerEntry.objects.count() == 4
    limited = IntakeEvent.objects.get(status="limited")
    assert (limited.http_status, limited.contact_id, limited.cost) == (429, None, None)


@time_machine.travel(NOON_ISH, tick=False)
def test_a_campaign_cap_counts_every_source_and_names_itself_so(entry, post_contact):
    from tests.factories import SourceCampaignFactory

    other = SourceCampaignFactory.create(campaign=entry.campaign)
    CapFactory.create(campaign=entry.campaign, limit=1, duration="week")
    assert post_contact(other, {"email": "a@example.com"}).status_code == 200

    response = post_contact(entry, {"email": "b@example.com"})

    assert response.status_code == 429
    assert response.data["errors"]["429"] == (
        "Cap exceeded: no more than 1 contact per week for this campaign across all sources."
    )


@time_machine.travel(NOON_ISH, tick=False)
def test_answers_on_a_capped_entry_carry_the_ratelimit_fields_of_the_tightest_cap(
    entry, post_contact
):
    CapFactory.create(campaign=entry.campaign, limit=100, duration="month")
    tight = CapFactory.create(
        campaign=entry.campaign, source=entry.source, limit=3, duration="PT1H"
    )

    response = post_contact(entry, {"email": "a@example.com"})

    assert response.status_code == 200
    assert response["RateLimit-Policy"] == f'"cap-{tight.pk}";q=3;w=3600'
    # Two left; the only counted bucket (20:00) leaves the window at 21:01.
    assert response["RateLimit"] == f'"cap-{tight.pk}";r=2;t=3660'
    assert "Retry-After" not in response


def test_an_entry_without_caps_answers_without_ratelimit_fields(entry, post_contact):
    response = post_contact(entry, {"email": "a@example.com"})
    assert "RateLimit" not in response
    assert "RateLimit-Policy" not in response


@time_machine.travel(NOON_ISH, tick=False)
def test_a_budget_admits_the_contact_that_spends_it_exactly_and_refuses_the_next(
    entry, post_contact
):
    CapFactory.create(campaign=entry.campaign, kind="budget", limit=Decimal("5.00"), duration="day")
    assert post_contact(entry, {"email": "a@example.com"}).status_code == 200
    assert post_contact(entry, {"email": "b@example.com"}).status_code == 200  # 5.00 of 5.00

    response = post_contact(entry, {"email": "c@example.com"})

    assert response.status_code == 429
    assert response.data["errors"]["429"] == (
        "Cap exceeded: no more than 5.00 spent per day for this campaign across all sources."
    )
    # A budget is money: it sets no RateLimit (contacts) fields.
    assert "RateLimit" not in response


@time_machine.travel(NOON_ISH, tick=False)
def test_a_utm_source_cap_limits_only_contacts_with_that_utm_source(entry, post_contact):
    CapFactory.create(
        campaign=entry.campaign,
        source=entry.source,
        limit=1,
        scope="utm_source",
        utm_source="fb",
    )
    assert post_contact(entry, {"email": "a@example.com", "utm_source": "fb"}).status_code == 200
    assert post_contact(entry, {"email": "b@example.com", "utm_source": "fb"}).status_code == 429
    assert post_contact(entry, {"email": "c@example.com", "utm_source": "tt"}).status_code == 200
    assert post_contact(entry, {"email": "d@example.com"}).status_code == 200


@time_machine.travel(NOON_ISH, tick=False)
def test_verbose_mode_shows_each_applicable_caps_state(entry, post_contact):
    cap = CapFactory.create(campaign=entry.campaign, source=entry.source, limit=5, duration="day")

    response = post_contact(entry, {"email": "a@example.com"}, verbose=entry.source.verbose_key)

    assert response.data["caps"] == [
        {
            "description": "no more than 5 contacts per day for this campaign",
            "duration": "day",
            "hit": False,
            "id": cap.pk,
            "kind": "quantity",
            "limit": 5,
            "remaining": 4,
            "resetIn": 9 * 3600,
            "scope": "campaign",
            "used": 1,
            "windowStart": "2024-01-10T05:00:00+00:00",
        }
    ]


@time_machine.travel(NOON_ISH, tick=False)
def test_test_mode_answers_429_on_a_full_cap_and_takes_nothing(entry, post_contact):
    cap = CapFactory.create(campaign=entry.campaign, limit=1)
    assert post_contact(entry, {"email": "a@example.com"}, **{"X-Test": "1"}).status_code == 200
    assert not CapCounter.objects.exists()
    assert post_contact(entry, {"email": "b@example.com"}).status_code == 200

    response = post_contact(entry, {"email": "c@example.com"}, **{"X-Test": "1"})

    assert response.status_code == 429
    assert CapCounter.objects.get(cap=cap).used == 1


@time_machine.travel(NOON_ISH, tick=False)
def test_a_new_day_in_the_campaigns_timezone_opens_the_cap_again(entry, post_contact):
    CapFactory.create(campaign=entry.campaign, limit=1, duration="day")
    assert post_contact(entry, {"email": "a@example.com"}).status_code == 200
    assert post_contact(entry, {"email": "b@example.com"}).status_code == 429
    with time_machine.travel(datetime(2024, 1, 11, 5, 0, tzinfo=UTC), tick=False):
        assert post_contact(entry, {"email": "b@example.com"}).status_code == 200


@time_machine.travel(NOON_ISH, tick=False)
def test_a_rolling_caps_use_and_reset_come_from_every_bucket_in_its_window(entry, post_contact):
    # The write reads a rolling cap's window back summed (finance.services.ROLLING_BUCKETS_SQL):
    # the answer must be what every bucket says. One hour, one-minute buckets; the window at
    # 20:00 starts with the 19:00 bucket.
    cap = CapFactory.create(campaign=entry.campaign, source=entry.source, limit=10, duration="PT1H")
    for minute, used in (("18:58", 3), ("19:30", 2), ("19:45", 0), ("19:50", 1), ("20:00", 1)):
        hour, mins = (int(x) for x in minute.split(":"))
        CapCounter.objects.create(
            cap=cap,
            window_start=datetime(2024, 1, 10, hour, mins, tzinfo=UTC),
            used=Decimal(used),
            limit=Decimal(10),
        )
    verbose = entry.source.verbose_key

    # Test mode takes nothing and reads every bucket: 2 + 0 + 1 + 1 used.
    looked = post_contact(entry, {"email": "a@example.com"}, verbose=verbose, **{"X-Test": "1"})
    response = post_contact(entry, {"email": "b@example.com"}, verbose=verbose)

    assert looked.status_code == response.status_code == 200
    [before], [after] = looked.data["caps"], response.data["caps"]
    assert (before["used"], after["used"], after["remaining"]) == (4, 5, 5)
    # The oldest bucket with use (19:30) leaves the window at 20:31.
    assert before["resetIn"] == after["resetIn"] == 31 * 60
    assert response["RateLimit"] == f'"cap-{cap.pk}";r=5;t={31 * 60}'
    assert CapCounter.objects.get(cap=cap, window_start=NOON_ISH).used == 2
