"""Sources over the API: the token is shown once on creation and once per rotation."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ingest.models import Contact
from sources.models import Source
from tests.api_clients import (
    api_client,
    make_campaign,
    make_entry,
    make_source,
    superuser_client,
    token_of,
)

pytestmark = pytest.mark.django_db


def post_contact(source_id: int, campaign_id: int, token: str) -> int:
    response = Client().post(
        f"/source/{source_id}/campaign/{campaign_id}/contact",
        json.dumps({"email": f"t{Contact.objects.count()}@example.com"}),
        content_type="application/json",
        headers={"token": token},
    )
    return response.status_code


def test_creating_a_source_returns_its_token_once():
    api = superuser_client()
    response = api.post(
        "/api/v1/sources/", {"name": "Vendor", "public_description": "Hi"}, format="json"
    )

    assert response.status_code == 201
    token = response.data["token"]
    source = Source.objects.get(pk=response.data["id"])
    assert source.name == "Vendor"
    assert token and token not in source.token_hash
    detail = api.get(f"/api/v1/sources/{source.pk}/")
    assert "token" not in detail.data
    assert "token_hash" not in detail.data
    listed = api.get("/api/v1/sources/").data["results"][0]
    assert "token" not in listed


def test_the_token_from_the_api_works_on_the_intake():
    api = superuser_client()
    token = api.post("/api/v1/sources/", {"name": "V"}, format="json").data["token"]
    source = Source.objects.get()
    campaign = make_campaign()
    api.post(
        "/api/v1/whitelist-entries/",
        {"source": source.pk, "campaign": campaign.pk, "cost": "1.50"},
        format="json",
    )

    assert post_contact(source.pk, campaign.pk, token) == 200
    assert post_contact(source.pk, campaign.pk, "wrong") == 401


def test_rotating_the_token_keeps_the_old_one_for_the_grace_period():
    api = superuser_client()
    entry = make_entry()
    old = token_of(entry.source)

    response = api.post(
        f"/api/v1/sources/{entry.source_id}/rotate-token/", {"grace_seconds": 600}, format="json"
    )

    assert response.status_code == 200
    new = response.data["token"]
    assert new != old
    assert response.data["previous_token_valid_until"] is not None
    assert post_contact(entry.source_id, entry.campaign_id, new) == 200
    assert post_contact(entry.source_id, entry.campaign_id, old) == 200


def test_rotating_with_no_grace_ends_the_old_token_at_once():
    api = superuser_client()
    entry = make_entry()
    old = token_of(entry.source)

    response = api.post(
        f"/api/v1/sources/{entry.source_id}/rotate-token/", {"grace_seconds": 0}, format="json"
    )

    assert response.data["previous_token_valid_until"] is None
    assert post_contact(entry.source_id, entry.campaign_id, old) == 401
    assert post_contact(entry.source_id, entry.campaign_id, response.data["token"]) == 200


def test_rotating_needs_the_change_permission_not_add():
    source = make_source()
    url = f"/api/v1/sources/{source.pk}/rotate-token/"
    assert api_client("sources.view_source", "sources.add_source").post(url).status_code == 403
    assert api_client("sources.view_source", "sources.change_source").post(url).status_code == 200


def test_it_updates_a_source():
    api = superuser_client()
    source = make_source(name="Old")
    response = api.patch(
        f"/api/v1/sources/{source.pk}/", {"name": "New", "is_published": False}, format="json"
    )
    assert response.status_code == 200
    source.refresh_from_db()
    assert (source.name, source.is_published) == ("New", False)


def test_invalid_input_answers_400_with_messages_per_field():
    api = superuser_client()
    response = api.post(
        "/api/v1/sources/", {"name": "", "notification_url": "not a url"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.data) >= {"name", "notification_url"}


def test_deleting_a_source_with_contacts_answers_409():
    api = superuser_client()
    entry = make_entry()
    assert post_contact(entry.source_id, entry.campaign_id, token_of(entry.source)) == 200

    response = api.delete(f"/api/v1/sources/{entry.source_id}/")

    assert response.status_code == 409
    assert "contacts" in response.data["detail"]
    assert Source.objects.filter(pk=entry.source_id).exists()


def test_deleting_an_unused_source_works():
    api = superuser_client()
    source = make_source()
    assert api.delete(f"/api/v1/sources/{source.pk}/").status_code == 204
    assert not Source.objects.exists()


def test_lists_filter_and_order():
    api = superuser_client()
    make_source(name="Alpha", internal=True)
    make_source(name="Beta")
    make_source(name="alphabet")

    names = [s["name"] for s in api.get("/api/v1/sources/?name=alpha").data["results"]]
    assert sorted(names) == ["Alpha", "alphabet"]
    internal = api.get("/api/v1/sources/?internal=true").data["results"]
    assert [s["name"] for s in internal] == ["Alpha"]
    ordered = api.get("/api/v1/sources/?ordering=-name").data["results"]
    assert [s["name"] for s in ordered] == ["alphabet", "Beta", "Alpha"]
