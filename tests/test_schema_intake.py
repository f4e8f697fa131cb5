"""Real intake answers, of every kind, match the schema /api/schema/ publishes for them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from django.test import Client

from sources.models import SourceCampaign
from tests.api_clients import make_entry, token_of
from tests.factories import CapFactory

pytestmark = pytest.mark.django_db

SINGLE = "/source/{source_id}/campaign/{campaign_id}/contact"
BATCH = "/source/{source_id}/campaign/{campaign_id}/contacts"


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        document = Client().get("/api/schema/?format=json").json()
    return schemathesis.openapi.from_dict(document)


def check(schema: Any, path: str, response: Any, method: str = "POST") -> None:
    """Fail if the answer's code, content type, headers or body break the documented schema."""
    converted = httpx.Response(
        response.status_code,
        headers=dict(response.items()),
        content=response.content,
        request=httpx.Request(method, "http://testserver" + path),
    )
    converted.elapsed = timedelta(0)
    schema[path][method].validate_response(converted)


def post(client: Client, entry: SourceCampaign, body: Any, *, route: str = "contact", **headers):
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/{route}"
    headers.setdefault("token", token_of(entry.source))
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, raw, content_type="application/json", headers=headers)


def test_every_kind_of_single_answer_matches_the_schema(client, schema):
    entry = make_entry()
    entry.campaign.fields.create(key="zipcode", type="zipcode", required=False)
    CapFactory.create(campaign=entry.campaign, source=entry.source, limit=2)
    answers = [
        post(client, entry, {"email": "d@example.com"}, **{"X-Test": "1"}),
        post(client, entry, {"email": "a@example.com", "bogus": "x"}),  # 200 with a soft error
        post(client, entry, {"email": "a@example.com"}),  # 409
        post(client, entry, {"email": "b@example.com"}, verbose=entry.source.verbose_key),
        post(client, entry, {"email": "c@example.com"}),  # 429
        post(client, entry, {}),  # 418
        post(client, entry, {"email": "e@example.com"}, token="wrong"),  # 401
        post(client, entry, '{"email": '),  # 400
        post(client, entry, {"zipcode": "nope"}),  # 400: nothing usable
    ]
    assert [a.status_code for a in answers] == [200, 200, 409, 200, 429, 418, 401, 400, 400]
    for answer in answers:
        check(schema, SINGLE, answer)


def test_a_required_field_refusal_matches_the_schema(client, schema):
    entry = make_entry()
    entry.campaign.fields.create(key="email", type="email", required=True)
    answer = post(client, entry, {"firstname": "Ada"})
    assert answer.status_code == 422
    check(schema, SINGLE, answer)


def test_an_unknown_source_matches_the_schema(client, schema):
    answer = client.post(
        "/source/999999/campaign/1/contact",
        json.dumps({"email": "x@example.com"}),
        content_type="application/json",
        headers={"token": "t"},
    )
    assert answer.status_code == 404
    check(schema, SINGLE, answer)


def test_batch_answers_match_the_schema(client, schema):
    entry = make_entry()
    processed = post(
        client,
        entry,
        {"contacts": [{"email": "a@example.com"}, {"email": "a@example.com"}, "nope"]},
        route="contacts",
        verbose=entry.source.verbose_key,
    )
    refused = post(client, entry, {"contacts": "nope"}, route="contacts")
    unauthenticated = post(client, entry, {"contacts": [{}]}, route="contacts", token="")
    assert [processed.status_code, refused.status_code, unauthenticated.status_code] == [
        200,
        400,
        401,
    ]
    for answer in (processed, refused, unauthenticated):
        check(schema, BATCH, answer)
