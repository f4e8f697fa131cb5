"""The batch's query budget: a fixed cost per batch plus a fixed cost per item, pinned."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ingest.models import Contact
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

# Real transactions (no test savepoints), so the count is what production runs.
pytestmark = pytest.mark.django_db(transaction=True)

# Per accepted item: its savepoint (2), applicable caps (1; none here), the store's savepoint
# (2), duplicate lock (1) and check (1), contact insert (1), ledger insert (1), person lookup
# (1), person insert (1), subscription insert (1), callback endpoints lookup (1; no endpoint
# here, so no delivery insert), event insert (1).
QUERIES_PER_ACCEPTED_ITEM = 14


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


def test_each_accepted_item_costs_a_fixed_number_of_queries():
    entry = SourceCampaignFactory()
    for key, type_ in [("email", "email"), ("phone", "tel"), ("zipcode", "zipcode")]:
        CampaignFieldFactory(campaign=entry.campaign, key=key, type=type_)

    def contacts(start, count):
        return [
            {"email": f"q{i}@example.com", "zipcode": "33602", "firstname": "Q"}
            for i in range(start, start + count)
        ]

    one = post_batch(entry, contacts(0, 1))
    eleven = post_batch(entry, contacts(1, 11))

    assert Contact.objects.count() == 12
    assert (len(eleven) - len(one)) == 10 * QUERIES_PER_ACCEPTED_ITEM, "\n".join(eleven)


def test_the_campaign_fields_are_loaded_once_per_batch():
    entry = SourceCampaignFactory()
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email")

    statements = post_batch(entry, [{"email": f"f{i}@example.com"} for i in range(5)])

    assert sum('FROM "campaigns_campaignfield"' in sql for sql in statements) == 1
