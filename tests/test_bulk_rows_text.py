"""contactsource.bulk_insert_rows hands psycopg the COPY text of datetimes, UUIDs, addresses and
JSON (contactsource.copytext): the rows stored are the ones bulk_create stores."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from contactsource.bulk import COPY_MIN_ROWS, bulk_insert_rows
from ingest.models import IntakeEvent
from tests.factories import SourceCampaignFactory

pytestmark = pytest.mark.django_db

AWKWARD_JSON = [
    {"email": 'a "quoted"\tvalue\\ with, a comma\n', "ü": "ß", "n": 1.5, "none": None},
    ["a", 1, True, None, {"nested": ["\u2028", "\\N", "\r"]}],
    "just a string",
    42,
    {},
    None,
]
ADDRESSES = ["203.0.113.9", "198.51.100.7", "2001:db8::1", "::1", None]
TIMES = [
    datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=ZoneInfo("America/New_York")),
    datetime(1887, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam")),  # an offset in seconds
    datetime(2026, 6, 1, tzinfo=ZoneInfo("Asia/Kolkata")) + timedelta(microseconds=1),
]


def rows(entry, count: int) -> list[dict]:
    return [
        {
            "request_id": uuid.UUID(int=i + 1),
            "source_id": entry.source_id,
            "campaign_id": entry.campaign_id if i % 2 else None,
            "requested_source_id": str(entry.source_id),
            "requested_campaign_id": "x",
            "status": "accepted",
            "http_status": 200,
            "cost": Decimal("2.5000"),
            "errors": AWKWARD_JSON[i % len(AWKWARD_JSON)],
            "fields_provided": {"n": i, "list": ["a", "b"]},
            "fields_stored": AWKWARD_JSON[(i + 1) % len(AWKWARD_JSON)],
            "client_ip": ADDRESSES[i % len(ADDRESSES)],
            "duration": 0.25,
            "batch_index": i,
            "created_at": TIMES[i % len(TIMES)],
        }
        for i in range(count)
    ]


def test_copy_text_stores_what_bulk_create_stores():
    entry = SourceCampaignFactory.create()
    given = rows(entry, COPY_MIN_ROWS + 10)
    columns = tuple(given[0])
    copied = bulk_insert_rows(IntakeEvent, columns, [tuple(r.values()) for r in given])
    created = IntakeEvent.objects.bulk_create([IntakeEvent(**r) for r in given])

    names = [f.attname for f in IntakeEvent._meta.concrete_fields if f.attname != "id"]
    ordered = IntakeEvent.objects.order_by("batch_index")
    by_copy = list(ordered.filter(pk__in=copied).values(*names))
    by_orm = list(ordered.filter(pk__in=[e.pk for e in created]).values(*names))
    assert by_copy == by_orm
    assert by_copy[0]["errors"] == AWKWARD_JSON[0]
    assert by_copy[1]["created_at"] == TIMES[1]
    assert {r["client_ip"] for r in by_copy} == {
        "203.0.113.9",
        "198.51.100.7",
        "2001:db8::1",
        "::1",
        None,
    }
