"""The batch's query budget: a fixed number of statements per batch, whatever its size."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contactsource.bulk import COPY_MIN_ROWS
from ingest.models import Contact
from subscriptions.models import CallbackDelivery
from tests.factories import (
    CallbackEndpointFactory,
    CampaignFieldFactory,
    CapFactory,
    SourceCampaignFactory,
)

# Real transactions (no test savepoints), so the count is what production runs.
pytestmark = pytest.mark.django_db(transaction=True)

# Entry (1), fields (1), BEGIN, caps (1), duplicate locks (1) and check (1), persons (1), the
# rolling cap's lock (1) and counters (1), then one INSERT each for contacts, ledger, persons,
# subscriptions, deliveries (after the endpoints' lookup) and the NOTIFY that wakes the outbox
# dispatcher (no broker message from the request), counters and events, COMMIT.
QUERIES_PER_BATCH = 19
# From COPY_MIN_ROWS rows up, those tables but the counters (six) are written with COPY
# (contactsource/bulk.py, logged as a query each), their ids drawn from the six sequences first
# in one statement that also has the foreign keys checked after each statement, and one more
# statement puts them back to deferred (contactsource/copyqueue.py): six INSERTs become
# 1 + 6 + 1.
QUERIES_PER_LARGE_BATCH = QUERIES_PER_BATCH + 2


def post_batch(entry, contacts):
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(
            f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contacts",
            json.dumps({"contacts": contacts}),
            content_type="application/json",
            headers={"token": entry.source.token},
        )
    assert response.status_code == 200, response.json()
    assert all(r["status"] == "accepted" for r in response.json()["results"])
    return [q["sql"] for q in queries.captured_queries]


def contacts(start, count):
    return [
        {"email": f"q{i}@example.com", "zipcode": "33602", "firstname": "Q"}
        for i in range(start, start + count)
    ]


def test_a_batch_costs_the_same_statements_whatever_its_size():
    entry = SourceCampaignFactory()
    for key, type_ in [("email", "email"), ("phone", "tel"), ("zipcode", "zipcode")]:
        CampaignFieldFactory(campaign=entry.campaign, key=key, type=type_)
    CapFactory(campaign=entry.campaign, source=entry.source, limit=1000, duration="P1D")
    CallbackEndpointFactory()

    one = post_batch(entry, contacts(0, 1))
    forty = post_batch(entry, contacts(1, COPY_MIN_ROWS * 2))
    more = post_batch(entry, contacts(1000, COPY_MIN_ROWS * 8))

    assert Contact.objects.count() == 1 + COPY_MIN_ROWS * 10
    assert CallbackDelivery.objects.count() == 1 + COPY_MIN_ROWS * 10
    assert len(one) == QUERIES_PER_BATCH, "\n".join(one)
    assert len(forty) == QUERIES_PER_LARGE_BATCH, "\n".join(forty)
    assert len(more) == QUERIES_PER_LARGE_BATCH, "\n".join(more)
    assert sum(sql.startswith("COPY ") for sql in more) == 6


def test_the_campaign_fields_are_loaded_once_per_batch():
    entry = SourceCampaignFactory()
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email")

    statements = post_batch(entry, [{"email": f"f{i}@example.com"} for i in range(5)])

    assert sum('FROM "campaigns_campaignfield"' in sql for sql in statements) == 1
