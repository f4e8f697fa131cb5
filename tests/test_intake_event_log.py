"""Exactly one IntakeEvent per request, whatever happens; crashes answer JSON without a trace."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import Client

from ingest.models import Contact, IntakeEvent
from ingest.services import intake, store

pytestmark = pytest.mark.django_db


def test_every_outcome_writes_exactly_one_event(entry, post_contact, client: Client):
    outcomes = [
        post_contact(entry, {}),  # 418
        post_contact(entry, {"email": "a@example.com"}, token=""),  # 401
        post_contact(entry, {"email": "a@example.com"}, token="bad"),  # 401
        post_contact(entry, {"colour": "x"}),  # 400
        post_contact(entry, {"email": "a@example.com"}),  # 200
        post_contact(entry, {"email": "a@example.com"}),  # 409
    ]
    codes = [r.status_code for r in outcomes]
    assert codes == [418, 401, 401, 400, 200, 409]
    events = IntakeEvent.objects.order_by("id")
    assert [e.http_status for e in events] == codes
    assert [str(e.request_id) for e in events] == [r.data["id"] for r in outcomes]


def test_the_event_keeps_what_was_provided_stored_and_refused(entry, post_contact):
    post_contact(entry, {"email": "E@Example.com", "colour": "red"}, REMOTE_ADDR="203.0.113.5")
    event = IntakeEvent.objects.get()
    assert event.fields_provided == {"email": "E@Example.com", "colour": "red"}
    assert event.fields_stored == {"email": "E@example.com"}
    assert "colour" in (event.errors or {})
    assert event.email == "E@example.com"
    assert event.duration > 0


def test_an_unexpected_error_answers_json_500_with_the_request_id(entry, client, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(intake, "caps_for", boom)
    response = client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}",
        json.dumps({"email": "a@example.com"}),
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    assert response.status_code == 500
    body = response.json()
    assert body["status"] == "error"
    assert body["id"] in body["errors"]["500"]
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    event = IntakeEvent.objects.get()
    assert (event.status, event.http_status, str(event.request_id)) == ("error", 500, body["id"])
    assert Contact.objects.count() == 0


def test_a_crash_while_storing_leaves_no_contact_behind(entry, client, monkeypatch):
    # The event is written by the contact's own statement: fail while building it, inside the
    # transaction that has already taken the identity's lock.
    original = store.event_values
    calls = {"n": 0}

    def fail_first(req, outcome):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("event insert failed")
        return original(req, outcome)

    monkeypatch.setattr(store, "event_values", fail_first)
    response = client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}",
        json.dumps({"email": "a@example.com"}),
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    assert response.status_code == 500
    # The contact insert was rolled back with the failed transaction.
    assert Contact.objects.count() == 0
    assert IntakeEvent.objects.count() == 1


def test_an_unreachable_database_answers_503_not_500(entry, client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(intake, "_authenticate", down)
    response = client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}",
        json.dumps({"email": "a@example.com"}),
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["status"] == "error"
