"""Queries per accepted contact on an entry with two caps, pinned (a regression is a perf bug)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from finance.models import CapCounter
from tests.factories import CampaignFieldFactory, CapFactory, SourceCampaignFactory

# Real transactions (no test savepoints), so the count is what production runs.
pytestmark = pytest.mark.django_db(transaction=True)

# Lowered by the one-statement write (issue 14, item 3). The entry with the digests of the
# campaign's fields, caps and endpoints (1; all three cached per process), then BEGIN, the
# duplicate lock, ONE statement writing the contact, ledger rows, person, subscription and
# event, then ONE conditional upsert of both calendar caps' counters, COMMIT (the upsert and the
# COMMIT in one round trip, so the counters' rows are locked only until it). Was 14.
TWO_CALENDAR_CAPS_QUERIES = 6
# A rolling cap adds one statement in the same round trip: its cap row is locked just before
# the counters' upsert, which then checks the sum of its buckets with a fresh snapshot. Was 17.
ROLLING_AND_CALENDAR_CAPS_QUERIES = 7


def post_one(entry, email):
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(
            f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
            json.dumps({"email": email, "firstname": "Q"}),
            content_type="application/json",
            headers={"token": entry.source.token},
        )
    assert response.status_code == 200, response.json()
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(
    ("durations", "expected"),
    [
        (("day", "month"), TWO_CALENDAR_CAPS_QUERIES),
        (("PT1H", "day"), ROLLING_AND_CALENDAR_CAPS_QUERIES),
    ],
)
def test_an_accepted_contact_with_two_caps_costs_a_fixed_number_of_queries(durations, expected):
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    CapFactory.create(campaign=entry.campaign, duration=durations[0], limit=100)
    CapFactory.create(campaign=entry.campaign, source=entry.source, duration=durations[1], limit=50)
    post_one(entry, "warm@example.com")  # the counters' rows exist from here on

    statements = post_one(entry, "q@example.com")

    assert len(statements) == expected, "\n".join(statements)
    assert sorted(c.used for c in CapCounter.objects.all()) == [2, 2]
