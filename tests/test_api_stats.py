"""Intake stats: GROUP BY in the database by time bucket, status, source and campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ingest.models import IntakeEvent
from tests.api_clients import api_client, make_entry, superuser_client

pytestmark = pytest.mark.django_db

DAY1 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
DAY2 = datetime(2025, 3, 4, 23, 30, tzinfo=UTC)
RANGE = {"created_after": "2025-03-01T00:00:00Z", "created_before": "2025-03-08T00:00:00Z"}


def event(entry, status, at, *, cost=None, revenue=None, test=False):
    return IntakeEvent.objects.create(
        source_id=entry.source_id,
        campaign_id=entry.campaign_id,
        status=status,
        http_status=200 if status in ("accepted", "scrubbed") else 409,
        cost=cost,
        revenue=revenue,
        is_test=test,
        created_at=at,
    )


@pytest.fixture
def entries():
    first, second = make_entry(), make_entry()
    event(first, "accepted", DAY1, cost=Decimal("2"), revenue=Decimal("5"))
    event(first, "accepted", DAY1, cost=Decimal("2"), revenue=Decimal("5"))
    event(first, "duplicate", DAY1)
    event(second, "accepted", DAY2, cost=Decimal("1"), revenue=Decimal("3"))
    event(second, "accepted", DAY2, test=True, cost=Decimal("1"), revenue=Decimal("3"))
    return first, second


def test_it_counts_per_day_and_status(entries):
    response = superuser_client().get("/api/v1/stats/", {**RANGE, "group_by": "status"})

    assert response.status_code == 200
    rows = [(r["bucket"][:10], r["status"], r["count"]) for r in response.data["results"]]
    assert rows == [
        ("2025-03-03", "accepted", 2),
        ("2025-03-03", "duplicate", 1),
        ("2025-03-04", "accepted", 1),
    ]
    totals = response.data["totals"]
    assert (totals["count"], totals["accepted"]) == (4, 3)
    assert (totals["cost"], totals["revenue"], totals["margin"]) == ("5.0000", "13.0000", "8.0000")


def test_it_groups_by_source_without_time_buckets(entries):
    first, second = entries
    response = superuser_client().get(
        "/api/v1/stats/", {**RANGE, "interval": "none", "group_by": "source"}
    )
    rows = {
        r["source"]: (r["count"], r["margin"], r["source_name"]) for r in response.data["results"]
    }
    assert rows == {
        first.source_id: (3, "6.0000", first.source.name),
        second.source_id: (1, "2.0000", second.source.name),
    }
    assert "bucket" not in response.data["results"][0]


def test_days_start_at_midnight_in_the_requested_timezone(entries):
    response = superuser_client().get(
        "/api/v1/stats/", {**RANGE, "tz": "Asia/Tokyo", "interval": "day"}
    )
    # 23:30 UTC on the 4th is the 5th in Tokyo.
    days = [(r["bucket"][:10], r["count"]) for r in response.data["results"]]
    assert days == [("2025-03-03", 3), ("2025-03-05", 1)]


def test_it_filters_by_campaign_and_groups_by_several_dimensions(entries):
    first, _ = entries
    response = superuser_client().get(
        "/api/v1/stats/",
        {**RANGE, "campaign": first.campaign_id, "group_by": ["campaign", "status"]},
    )
    assert {r["campaign"] for r in response.data["results"]} == {first.campaign_id}
    assert response.data["totals"]["count"] == 3


def test_it_aggregates_in_the_database_whatever_the_number_of_events(entries):
    first, _ = entries
    for _ in range(50):
        event(first, "accepted", DAY1, cost=Decimal("1"), revenue=Decimal("1"))
    api = superuser_client()
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/stats/", {**RANGE, "group_by": "status"})
    aggregates = [q["sql"] for q in queries.captured_queries if "ingest_intakeevent" in q["sql"]]
    assert len(aggregates) == 2  # the groups and the totals
    assert all("GROUP BY" in sql or "SUM(" in sql for sql in aggregates)
    assert response.data["totals"]["count"] == 54


def test_bad_parameters_answer_400(entries):
    api = superuser_client()
    assert api.get("/api/v1/stats/", {"tz": "Nowhere/Land"}).status_code == 400
    assert api.get("/api/v1/stats/", {"group_by": "colour"}).status_code == 400
    assert api.get("/api/v1/stats/", {"interval": "fortnight"}).status_code == 400


def test_stats_need_the_event_view_permission(entries):
    assert api_client().get("/api/v1/stats/").status_code == 403
    assert api_client("ingest.view_intakeevent").get("/api/v1/stats/").status_code == 200
