"""The hot path's query budget, pinned (a regression here is a performance bug)."""

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

# Lowered by the one-statement write (issue 14, item 3): the entry with its source, campaign and
# the digests of the campaign's fields, caps and endpoints (1), then one transaction: BEGIN, the
# identity's advisory lock, ONE statement writing the contact (unless a duplicate), its ledger
# rows (cost + revenue), the person, subscription (no endpoint here, so no outbox row) and the
# event, COMMIT. Was 13.
ACCEPTED_CONTACT_QUERIES = 5
# The campaign's field specs, caps and callback endpoints are cached per process
# (ingest/fieldspecs.py, ingest/hotcache.py): only the first post after a change loads them
# (one query each).
FIELDS_LOAD_QUERIES = 3


def test_an_accepted_contact_costs_a_fixed_number_of_queries():
    entry = SourceCampaignFactory.create()
    for key, type_ in [("email", "email"), ("phone", "tel"), ("zipcode", "zipcode")]:
        CampaignFieldFactory.create(campaign=entry.campaign, key=key, type=type_)
    client = Client()

    def post(email: str, phone: str) -> list[str]:
        body = {"email": email, "phone": phone, "zipcode": "33602", "firstname": "Q"}
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
                json.dumps(body),
                content_type="application/json",
                headers={"token": entry.source.token},
            )
        assert response.status_code == 200, response.json()
        return [q["sql"] for q in queries.captured_queries]

    first = post("q1@example.com", "7272870426")
    second = post("q2@example.com", "7272870427")  # another person: the same statements

    assert Contact.objects.count() == 2
    assert len(first) == ACCEPTED_CONTACT_QUERIES + FIELDS_LOAD_QUERIES, "\n".join(first)
    assert len(second) == ACCEPTED_CONTACT_QUERIES, "\n".join(second)
