"""Contacts and intake events over the API: read-only, filtered, ordered, paginated."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ingest.models import Contact, IntakeEvent
from sources.models import SourceCampaign
from tests.api_clients import api_client, make_entry, superuser_client, token_of

pytestmark = pytest.mark.django_db


def post(entry: SourceCampaign, body: dict[str, str]) -> int:
    return (
        Client()
        .post(
            f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
            json.dumps(body),
            content_type="application/json",
            headers={"token": token_of(entry.source)},
        )
        .status_code
    )


@pytest.fixture
def traffic() -> tuple[SourceCampaign, SourceCampaign]:
    first, second = make_entry(), make_entry()
    assert post(first, {"email": "a@example.com"}) == 200
    assert post(first, {"email": "a@example.com"}) == 409
    assert post(second, {"email": "b@example.com"}) == 200
    return first, second


def test_contacts_are_listed_newest_first_and_filter_by_source(traffic):
    first, _second = traffic
    api = superuser_client()
    everything = api.get("/api/v1/contacts/").data
    assert everything["count"] == 2
    assert [c["email"] for c in everything["results"]] == ["b@example.com", "a@example.com"]
    only = api.get(f"/api/v1/contacts/?source={first.source_id}").data["results"]
    assert [c["email"] for c in only] == ["a@example.com"]
    assert only[0]["campaign"] == first.campaign_id
    assert "identity_hash" not in only[0]


def test_contacts_cannot_be_written():
    api = superuser_client()
    assert api.post("/api/v1/contacts/", {"email": "x@example.com"}).status_code == 405


def test_events_filter_by_status_campaign_and_date(traffic):
    first, _second = traffic
    api = superuser_client()
    duplicates = api.get("/api/v1/intake-events/?status=duplicate").data["results"]
    assert [e["http_status"] for e in duplicates] == [409]
    per_campaign = api.get(f"/api/v1/intake-events/?campaign={first.campaign_id}").data
    assert per_campaign["count"] == 2
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert api.get("/api/v1/intake-events/", {"created_after": later}).data["count"] == 0
    assert api.get("/api/v1/intake-events/", {"created_before": later}).data["count"] == 3


def test_an_unknown_id_filter_is_an_empty_list_not_an_error(traffic):
    response = superuser_client().get("/api/v1/intake-events/?source=999999")
    assert response.status_code == 200
    assert response.data["count"] == 0


def test_a_malformed_filter_answers_400(traffic):
    response = superuser_client().get("/api/v1/intake-events/?created_after=yesterday")
    assert response.status_code == 400
    assert "created_after" in response.data


def test_lists_are_paginated_with_a_page_size(traffic):
    api = superuser_client()
    page = api.get("/api/v1/intake-events/?page_size=2").data
    assert (page["count"], len(page["results"])) == (3, 2)
    assert page["next"] is not None
    assert len(api.get("/api/v1/intake-events/?page_size=2&page=2").data["results"]) == 1
    assert api.get("/api/v1/intake-events/?page=9").status_code == 404


def test_events_order_by_a_chosen_field(traffic):
    events = superuser_client().get("/api/v1/intake-events/?ordering=id").data["results"]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)


def test_reading_events_needs_their_view_permission(traffic):
    assert api_client("ingest.view_contact").get("/api/v1/intake-events/").status_code == 403
    assert api_client("ingest.view_intakeevent").get("/api/v1/intake-events/").status_code == 200
    assert Contact.objects.count() == 2
    assert IntakeEvent.objects.count() == 3
