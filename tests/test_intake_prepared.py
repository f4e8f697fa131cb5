"""The intake's hot statements are prepared on the server once per connection and then only
bound and run with a generic plan (contactsource.prepared); a refused post's ROLLBACK keeps them.

Before, Django's connection had psycopg's preparing off, `prepare=True` was ignored, and
PostgreSQL parsed, analysed and planned the entry read and the write on every post."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from tests.factories import (
    CallbackEndpointFactory,
    CampaignFieldFactory,
    CapFactory,
    SourceCampaignFactory,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("persistent_connection"),  # one connection, as in production
]

POSTS = 8  # PostgreSQL plans a prepared statement five times before it may keep a generic plan


@pytest.fixture
def capped_entry():
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    CapFactory.create(campaign=entry.campaign, duration="day", limit=100)
    CallbackEndpointFactory.create()
    return entry


def post(entry, email: str) -> int:
    response = Client().post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        json.dumps({"email": email, "firstname": "Q"}),
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    return int(response.status_code)


def server_statements() -> dict[str, tuple[int, int]]:
    """This connection's prepared statements: first words -> (generic plans, custom plans)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {" ".join(s.split())[:40]: (g, c) for s, g, c in cursor.fetchall()}


def test_the_entry_read_and_the_write_are_prepared_once_and_run_with_a_generic_plan(
    capped_entry,
):
    for i in range(POSTS):
        assert post(capped_entry, f"p{i}@example.com") == 200

    statements = server_statements()
    entry_read = [v for k, v in statements.items() if k.startswith('SELECT "sources_sourcecamp')]
    write = [v for k, v in statements.items() if k.startswith("WITH c AS (INSERT INTO ingest")]
    assert len(entry_read) == 1 and len(write) == 1, statements
    for generic, custom in entry_read + write:
        assert generic + custom == POSTS
        assert generic >= POSTS - 5, (generic, custom)  # not planned again on every post


def test_a_refused_post_keeps_the_prepared_statements(capped_entry):
    for i in range(3):
        assert post(capped_entry, f"p{i}@example.com") == 200
    before = server_statements()

    assert post(capped_entry, "p0@example.com") == 409  # rolls its transaction back
    assert post(capped_entry, "p9@example.com") == 200

    after = server_statements()
    assert before, "nothing was prepared"
    # The same statements, run again (one more execution each), none prepared anew.
    for key in before:
        assert key in after, key
    entry_read = next(k for k in before if k.startswith('SELECT "sources_sourcecamp'))
    assert sum(after[entry_read]) == sum(before[entry_read]) + 2


def test_the_entry_read_loads_timestamps_as_the_orm_does(capped_entry):
    """The prepared cursors load timestamptz with psycopg's compiled loader: the same values and
    the same tzinfo object as Django's own loader gives."""
    from datetime import UTC, datetime

    from ingest.entryread import entry_read
    from sources.models import Source

    Source.objects.filter(pk=capped_entry.source_id).update(
        publish_up=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    )
    read = entry_read(source_id=capped_entry.source_id, campaign_id=capped_entry.campaign_id)
    orm = Source.objects.get(pk=capped_entry.source_id)

    assert read is not None
    for name in ("created_at", "updated_at", "publish_up"):
        loaded, expected = getattr(read.source, name), getattr(orm, name)
        assert loaded == expected and loaded.tzinfo is expected.tzinfo is UTC, name
    assert read.created_at == capped_entry.created_at and read.created_at.tzinfo is UTC

    from psycopg import pq

    from contactsource.prepared import prepared_cursor

    with prepared_cursor() as cursor:
        timestamptz = cursor.raw.adapters.types["timestamptz"].oid
        loader = cursor.raw.adapters.get_loader(timestamptz, pq.Format.TEXT)
    assert loader is not None and not loader.__module__.startswith("django"), loader
