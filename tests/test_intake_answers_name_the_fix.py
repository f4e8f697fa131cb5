"""Refusals say what to change: which identity matched and when, how to authenticate, which value
had the wrong shape, which keys were null, and a 405 in the intake's own shape (DESIGN §4)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ingest.models import IntakeEvent
from tests.factories import CampaignFieldFactory

pytestmark = pytest.mark.django_db


def test_a_409_names_the_matching_identity_field_and_the_earlier_date(entry, post_contact):
    entry.duplicate_window = timedelta(days=30)
    entry.save()
    earlier = timezone.now() - timedelta(days=3)
    with time_machine.travel(earlier, tick=False):
        assert post_contact(entry, {"email": "ada@example.com"}).status_code == 200

    response = post_contact(entry, {"email": "ada@example.com", "firstname": "Ada"})

    assert response.status_code == 409
    message = response.data["errors"]["409"]
    assert "the same email was already posted" in message
    assert f"on {earlier.date().isoformat()}" in message
    assert "ada@example.com" not in json.dumps(response.data)


def test_a_409_in_a_batch_names_the_field_and_date_too(client, entry, post_contact):
    entry.duplicate_window = timedelta(days=30)
    entry.save()
    CampaignFieldFactory(campaign=entry.campaign, key="phone", type="tel")
    body = {"contacts": [{"email": "bo@example.com", "phone": "+17272870426"}] * 2}

    response = client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contacts",
        json.dumps(body),
        content_type="application/json",
        headers={"token": entry.source.token},
    )

    second = response.json()["results"][1]
    assert second["statusCode"] == 409
    assert "the same email and phone" in second["errors"]["409"]
    assert timezone.now().date().isoformat() in second["errors"]["409"]


@pytest.mark.parametrize("token", ["", "wrong"])
def test_a_401_carries_www_authenticate(entry, post_contact, token):
    response = post_contact(entry, {"email": "ada@example.com"}, token=token)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer ")


def test_a_required_value_of_the_wrong_shape_is_named_as_such(entry, post_contact):
    CampaignFieldFactory(campaign=entry.campaign, key="lastname", required=True)

    response = post_contact(entry, {"lastname": {"a": 1}, "email": "ada@example.com"})

    assert response.status_code == 422
    message = response.data["errors"]["lastname"]
    assert "JSON object or list of objects" in message
    assert "is required" not in message


def test_an_optional_value_of_the_wrong_shape_is_named_and_ignored(entry, post_contact):
    response = post_contact(entry, {"email": {"a": 1}, "firstname": "Ada"})

    assert response.status_code == 200
    assert "Nested objects are not supported" in response.data["errors"]["email"]


def test_a_body_of_only_nulls_is_a_418_that_names_the_null_keys(entry, post_contact):
    # Null is an empty value, dropped like "" (DESIGN §4): nothing is left, so 418, as an
    # empty post; the answer names the keys so the sender sees that they were null.
    response = post_contact(entry, {"email": None, "phone": None})

    assert response.status_code == 418
    message = response.data["errors"]["418"]
    assert "empty or null (email, phone)" in message
    assert IntakeEvent.objects.get().http_status == 418


def test_a_delete_answers_405_in_the_intake_shape_and_writes_one_event(client, entry):
    response = client.delete(f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST, PUT"
    body = response.json()
    assert set(body) >= {"campaign", "contact", "errors", "id", "status", "statusCode", "time"}
    assert body["statusCode"] == 405
    assert body["status"] == "invalid"
    assert "Use POST or PUT" in body["errors"]["405"]
    event = IntakeEvent.objects.get()
    assert event.http_status == 405
    assert str(event.request_id) == body["id"]


def test_a_patch_on_the_batch_route_answers_405_in_the_intake_shape(client, entry):
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contacts"

    response = client.patch(url, "{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["errors"]["405"] == "Use POST to send a batch of contacts."
    assert IntakeEvent.objects.get().http_status == 405


def test_null_keys_with_a_nul_byte_are_named_without_it(entry, post_contact):
    response = post_contact(entry, {"e\u0000mail": None})

    assert response.status_code == 418
    assert "(email)" in response.data["errors"]["418"]
    logged = IntakeEvent.objects.get().errors
    assert logged is not None
    assert "\x00" not in logged["418"]
