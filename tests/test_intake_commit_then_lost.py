"""A post whose COMMIT answered keeps its 200 when the server ends the session right after.

The caps' counters and the COMMIT leave in one pipeline (ingest.services.write). A server told
to stop during the COMMIT (a shutdown, pg_terminate_backend) finishes it, answers, and ends the
session before the pipeline's Sync: the error then arrives after the COMMIT's answer. The
contact is stored, so its answer must say so, not 503 (a retry would be refused as a duplicate
of a contact the source was told was not taken). Here the session ends itself right after the
COMMIT, in the same pipeline, which is the same thing, every time."""

from __future__ import annotations

import json

import psycopg
import pytest
from django.test import Client

from finance.models import CapCounter
from ingest.models import Contact, IntakeEvent
from tests.factories import CampaignFieldFactory, CapFactory, SourceCampaignFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("persistent_connection"),  # one connection, as in production
]


@pytest.fixture
def session_ends_after_commit(monkeypatch):
    """Every COMMIT sent in a pipeline is followed there by the session ending itself."""
    execute = psycopg.Cursor.execute  # Connection.execute runs a new cursor's too
    ended = []

    def execute_then_end(self, query, *args, **kwargs):
        cursor = execute(self, query, *args, **kwargs)
        if query == "COMMIT" and self.connection._pipeline is not None:
            ended.append(query)
            self.connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return cursor

    monkeypatch.setattr(psycopg.Cursor, "execute", execute_then_end)
    return ended


def post(entry, email: str):
    return Client().post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        json.dumps({"email": email}),
        content_type="application/json",
        headers={"token": entry.source.token},
    )


def test_a_contact_committed_before_the_connection_was_lost_is_answered_as_accepted(
    session_ends_after_commit,
):
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    CapFactory.create(campaign=entry.campaign, duration="day", limit=10)

    response = post(entry, "kept@example.com")

    assert session_ends_after_commit == ["COMMIT"]
    assert response.status_code == 200, response.json()
    contact = Contact.objects.get(email="kept@example.com")
    assert response.json()["contact"]["id"] == contact.pk
    assert IntakeEvent.objects.get(contact=contact).http_status == 200
    assert CapCounter.objects.get().used == 1
    # The next post opens a new connection and is taken as usual.
    assert post(entry, "next@example.com").status_code == 200
    assert CapCounter.objects.get().used == 2
