"""The token is read from every documented place, hashed at rest, never from a session."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from contactsource.tokens import token_hash
from sources.models import Source
from sources.services import source_create, source_rotate_token
from tests.factories import SourceCampaignFactory

pytestmark = pytest.mark.django_db

BODY = {"email": "t@example.com"}


def post(client, entry, *, body=None, query="", as_form=False, **headers):
    path = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact{query}"
    data = dict(body or BODY)
    if as_form:
        from urllib.parse import urlencode

        return client.post(
            path,
            urlencode(data),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
    return client.post(path, json.dumps(data), content_type="application/json", headers=headers)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "place",
    ["field", "form-field", "query", "header", "x-auth-token", "bearer", "basic"],
)
def test_it_finds_the_token_in_every_documented_place(entry, client: Client, place):
    token = entry.source.token
    kwargs: dict = {}
    if place == "field":
        kwargs["body"] = {**BODY, "token": token}
    elif place == "form-field":
        kwargs.update(body={**BODY, "token": token}, as_form=True)
    elif place == "query":
        kwargs["query"] = f"?token={token}"
    elif place == "header":
        kwargs["token"] = token
    elif place == "x-auth-token":
        kwargs["X-Auth-Token"] = token
    elif place == "bearer":
        kwargs["Authorization"] = f"Bearer {token}"
    elif place == "basic":
        kwargs["Authorization"] = basic("vendor", token)
    response = post(client, entry, **kwargs)
    assert response.status_code == 200, response.json()


def test_a_basic_password_may_contain_colons(client: Client, db):
    entry = SourceCampaignFactory(source__token="with:colons:inside")
    response = post(client, entry, Authorization=basic("vendor", "with:colons:inside"))
    assert response.status_code == 200, response.json()


def test_the_body_token_wins_over_a_header_token(entry, client: Client):
    response = post(client, entry, body={**BODY, "token": "wrong"}, token=entry.source.token)
    assert response.status_code == 401


def test_it_never_falls_back_to_a_session(entry, client: Client):
    assert post(client, entry, token=entry.source.token).status_code == 200
    response = post(client, entry, body={"email": "again@example.com"})
    assert response.status_code == 401
    assert "was not supplied" in response.json()["errors"]["token"]


def test_tokens_are_stored_only_as_hashes(db):
    source, token = source_create(name="Hashed")
    stored = Source.objects.get(pk=source.pk)
    assert stored.token_hash == token_hash(token)
    assert token not in {f.value_from_object(stored) for f in Source._meta.concrete_fields}


def test_a_rotated_token_keeps_the_old_one_valid_for_the_grace_period(entry, client: Client):
    old = entry.source.token
    new = source_rotate_token(source=entry.source, grace_seconds=3600)
    assert post(client, entry, token=new).status_code == 200
    assert post(client, entry, token=old, body={"email": "o@example.com"}).status_code == 200


def test_the_old_token_stops_working_after_the_grace_period(entry, client: Client):
    old = entry.source.token
    source_rotate_token(source=entry.source, grace_seconds=3600)
    Source.objects.filter(pk=entry.source_id).update(
        previous_token_valid_until=timezone.now() - timedelta(seconds=1)
    )
    response = post(client, entry, token=old)
    assert response.status_code == 401


def test_a_rotation_without_grace_ends_the_old_token_at_once(entry, client: Client):
    old = entry.source.token
    source_rotate_token(source=entry.source, grace_seconds=0)
    assert post(client, entry, token=old).status_code == 401
