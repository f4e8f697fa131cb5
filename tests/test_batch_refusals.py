"""A batch refused as a whole: the single post's codes, one event, nothing stored."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ingest.models import Contact, IntakeEvent
from sources.models import SourceCampaign
from tests.factories import SourceCampaignFactory
from tests.test_batch_intake import post_batch

pytestmark = pytest.mark.django_db


def assert_refused_whole(response, http_status: int, key: str) -> None:
    assert response.status_code == http_status
    body = response.data
    assert body["success"] is False
    assert body["statusCode"] == http_status
    assert body["status"] == "invalid"
    assert key in body["errors"]
    assert "results" not in body
    assert Contact.objects.count() == 0
    event = IntakeEvent.objects.get()
    assert event.http_status == http_status
    assert event.batch_index is None
    assert str(event.request_id) == body["id"]


def test_an_empty_batch_is_a_418(client, entry):
    assert_refused_whole(post_batch(client, entry, {"contacts": []}), 418, "418")


def test_an_empty_body_is_a_418(client, entry):
    assert_refused_whole(post_batch(client, entry, ""), 418, "418")


def test_a_batch_without_a_token_is_a_401(client, entry):
    response = post_batch(client, entry, {"contacts": [{"email": "x@example.com"}]}, token="")
    assert_refused_whole(response, 401, "token")


def test_a_batch_with_a_bad_token_is_a_401(client, entry):
    response = post_batch(client, entry, {"contacts": [{"email": "x@example.com"}]}, token="nope")
    assert_refused_whole(response, 401, "token")


def test_a_batch_to_an_unknown_source_is_a_404(client, entry):
    token = entry.source.token
    entry.source_id = 999999
    response = post_batch(client, entry, {"contacts": [{"email": "x@example.com"}]}, token=token)
    assert_refused_whole(response, 404, "sourceId")


def test_a_batch_to_a_campaign_not_whitelisted_is_a_410(client, entry):
    other: SourceCampaign = SourceCampaignFactory.create()
    entry.campaign_id = other.campaign_id
    response = post_batch(client, entry, {"contacts": [{"email": "x@example.com"}]})
    assert_refused_whole(response, 410, "campaignId")


def test_a_batch_to_an_unpublished_campaign_is_a_410(client, entry):
    entry.campaign.is_published = False
    entry.campaign.save()
    response = post_batch(client, entry, {"contacts": [{"email": "x@example.com"}]})
    assert_refused_whole(response, 410, "campaignId")


def test_contacts_that_are_not_a_list_are_a_400(client, entry):
    response = post_batch(client, entry, {"contacts": {"email": "x@example.com"}})
    assert_refused_whole(response, 400, "contacts")


def test_a_body_without_contacts_is_a_400(client, entry):
    response = post_batch(client, entry, {"email": "x@example.com"})
    assert_refused_whole(response, 400, "contacts")


def test_malformed_json_is_a_400(client, entry):
    assert_refused_whole(post_batch(client, entry, '{"contacts": ['), 400, "400")


def test_a_form_encoded_batch_is_a_415(client: Client, entry):
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contacts"
    response = client.post(
        url,
        "email=x%40example.com",
        content_type="application/x-www-form-urlencoded",
        headers={"token": entry.source.token},
    )
    response.data = response.json()  # type: ignore[attr-defined]
    assert_refused_whole(response, 415, "415")


def test_more_items_than_the_limit_is_a_413_and_stores_nothing(client, entry, settings):
    settings.INTAKE_MAX_BATCH_ITEMS = 3
    contacts = [{"email": f"n{i}@example.com"} for i in range(4)]

    response = post_batch(client, entry, {"contacts": contacts})

    assert_refused_whole(response, 413, "413")
    assert "at most 3 contacts" in response.data["errors"]["413"]
    assert "this one has 4" in response.data["errors"]["413"]


def test_exactly_the_limit_is_accepted(client, entry, settings):
    settings.INTAKE_MAX_BATCH_ITEMS = 3
    contacts = [{"email": f"n{i}@example.com"} for i in range(3)]

    response = post_batch(client, entry, {"contacts": contacts})

    assert response.status_code == 200
    assert len(response.data["results"]) == 3


def test_a_body_over_the_batch_size_limit_is_a_413_before_reading(client, entry, settings):
    settings.INTAKE_MAX_BATCH_BODY_BYTES = 100
    contacts = [{"email": f"long{i}@example.com"} for i in range(10)]

    response = post_batch(client, entry, {"contacts": contacts})

    assert_refused_whole(response, 413, "413")


def test_get_on_the_batch_route_is_a_405(client, entry):
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contacts"
    response = client.get(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    # Every request to an intake route writes one event, 405 included (DESIGN §4).
    assert IntakeEvent.objects.count() == 1


def test_the_batch_limit_is_1000_by_default(settings):
    assert settings.INTAKE_MAX_BATCH_ITEMS == 1000
    body = json.dumps({"contacts": [{"email": "x@example.com"}] * 1000})
    assert len(body) < settings.INTAKE_MAX_BATCH_BODY_BYTES
