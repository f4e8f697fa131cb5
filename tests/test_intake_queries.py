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

# entry+source+campaign with the digest of the campaign's fields (1), applicable caps (1; none
# here, so no counter statement), then one transaction: BEGIN, duplicate lock (advisory),
# duplicate check, contact insert, ledger insert (cost + revenue rows), person lookup (locked),
# person insert, subscription insert, callback endpoints lookup (no endpoint here, so no
# delivery insert), event insert, COMMIT.
ACCEPTED_CONTACT_QUERIES = 13
# The campaign's field specs are cached per process (ingest/fieldspecs.py): only the first post
# after a change to the fields loads them (one query more).
FIELDS_LOAD_QUERIES = 1


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
