"""The person API for CRMs (DESIGN §7): add/merge, get, update, subscriptions, opt-out."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from rest_framework.test import APIClient

from subscriptions.models import CallbackDelivery, Person
from subscriptions.services import PersonData, contact_subscribe, endpoint_api_key_issue
from tests.factories import (
    CallbackEndpointFactory,
    CampaignFactory,
    PersonFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 22, 15, 42, 23, tzinfo=UTC)


@pytest.fixture
def api():
    client = APIClient()
    key = endpoint_api_key_issue(endpoint_id=CallbackEndpointFactory.create().pk)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_adding_a_new_person_answers_201_with_the_person_body(api):
    response = api.post(
        "/api/v1/persons/",
        {
            "mobile_phone": {"mdn": "(727) 287-0426"},
            "external_id": "crm-1",
            "email": "Ada@Example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "custom_fields": {"plan": "gold"},
        },
        format="json",
    )

    assert response.status_code == 201
    person = Person.objects.get()
    assert response.json() == {
        "id": str(person.public_id),
        "external_id": "crm-1",
        "mobile_phone": {"mdn": "+17272870426"},
        "email": "Ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "custom_fields": {"plan": "gold"},
        "url": f"/api/v1/persons/{person.public_id}/",
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }


def test_adding_a_known_mobile_phone_merges_and_answers_200(api):
    known = PersonFactory.create(
        mobile_phone="+17272870426", first_name="A", custom_fields={"a": 1}
    )

    response = api.post(
        "/api/v1/persons/",
        {"mobile": "+1 727 287 0426", "first_name": "Ada", "custom_fields": {"b": 2}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["id"] == str(known.public_id)
    known.refresh_from_db()
    assert known.first_name == "Ada"
    assert known.custom_fields == {"a": 1, "b": 2}
    assert Person.objects.count() == 1


def test_adding_merges_by_email_when_no_mobile_phone_matches(api):
    known = PersonFactory.create(mobile_phone=None, email="ada@example.com")

    response = api.post("/api/v1/persons/", {"email": "ada@example.com"}, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == str(known.public_id)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mobile_phone": {"mdn": "12"}}, "mobile_phone"),
        ({"mobile": "not a phone"}, "mobile"),
        ({"email": "nope"}, "email"),
        ({"email": "a@example.com", "custom_fields": ["x"]}, "custom_fields"),
        ({"email": "a@example.com", "favourite": "x"}, "favourite"),
        ({"first_name": "Only a name"}, "mobile_phone"),
        ({"mobile_phone": "+17272870426"}, "mobile_phone"),
    ],
)
def test_a_bad_body_gets_400_with_field_errors(api, body, field):
    response = api.post("/api/v1/persons/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Person.objects.count() == 0


def test_an_external_id_of_another_person_is_a_field_error(api):
    PersonFactory.create(external_id="crm-1")

    response = api.post(
        "/api/v1/persons/", {"email": "new@example.com", "external_id": "crm-1"}, format="json"
    )

    assert response.status_code == 400
    assert "external_id" in response.json()


def test_it_gets_a_person_by_id_or_by_external_id(api):
    person = PersonFactory.create(external_id="crm-7")

    by_id = api.get(f"/api/v1/persons/{person.public_id}/")
    by_external = api.get("/api/v1/persons/external/crm-7/")

    assert by_id.status_code == by_external.status_code == 200
    assert by_id.json() == by_external.json()
    assert api.get("/api/v1/persons/external/unknown/").status_code == 404


def test_patch_changes_the_given_fields_and_put_replaces_them_all(api):
    person = PersonFactory.create(
        external_id="crm-7", last_name="L", custom_fields={"a": 1, "b": 2}
    )

    patched = api.patch(
        "/api/v1/persons/external/crm-7/",
        {"first_name": "Grace", "custom_fields": {"a": None, "c": 3}},
        format="json",
    )
    assert patched.status_code == 200
    assert patched.json()["first_name"] == "Grace"
    assert patched.json()["last_name"] == "L"
    assert patched.json()["custom_fields"] == {"b": 2, "c": 3}

    put = api.put(f"/api/v1/persons/{person.public_id}/", {"first_name": "G"}, format="json")
    assert put.status_code == 200
    assert put.json()["first_name"] == "G"
    assert put.json()["last_name"] == ""
    assert put.json()["external_id"] is None
    assert put.json()["custom_fields"] == {}


def test_an_update_cannot_take_another_persons_mobile_phone(api):
    PersonFactory.create(mobile_phone="+17272870426")
    person = PersonFactory.create(mobile_phone="+17272870000")

    response = api.patch(
        f"/api/v1/persons/{person.public_id}/", {"mobile": "7272870426"}, format="json"
    )

    assert response.status_code == 400
    assert "mobile_phone" in response.json()


def subscribed_person():
    campaign, source = CampaignFactory.create(), SourceFactory.create()
    subscription = contact_subscribe(
        contact_id=None,
        campaign_id=campaign.pk,
        source_id=source.pk,
        person=PersonData(email="ada@example.com"),
        at=AT,
    )
    return subscription.person, campaign, source


def test_it_lists_and_gets_a_persons_subscriptions(api):
    person, campaign, source = subscribed_person()

    listed = api.get(f"/api/v1/persons/{person.public_id}/subscriptions/")
    one = api.get(f"/api/v1/persons/{person.public_id}/subscriptions/{campaign.pk}/")

    assert listed.status_code == one.status_code == 200
    assert listed.json()["results"] == [one.json()]
    assert one.json() == {
        "person": {
            "id": str(person.public_id),
            "external_id": None,
            "url": f"/api/v1/persons/{person.public_id}/",
        },
        "subscription_list": {"id": str(campaign.pk), "url": f"/api/v1/campaigns/{campaign.pk}/"},
        "opt_in_date": "2026-11-22T15:42:23Z",
        "opt_out_date": None,
        "opt_out_reason": None,
        "acquisition_campaign": {"id": str(source.pk), "url": f"/api/v1/sources/{source.pk}/"},
        "url": f"/api/v1/persons/{person.public_id}/subscriptions/{campaign.pk}/",
    }
    assert api.get(f"/api/v1/persons/{person.public_id}/subscriptions/999999/").status_code == 404


def test_delete_opts_out_with_a_reason_and_sends_subscription_removed(api):
    person, campaign, _ = subscribed_person()
    url = f"/api/v1/persons/{person.public_id}/subscriptions/{campaign.pk}/"

    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async"):
        response = api.delete(url, {"opt_out_reason": "disconnect"}, format="json")
        again = api.delete(url, format="json")

    assert response.status_code == again.status_code == 200
    assert response.json()["opt_out_reason"] == "disconnect"
    assert response.json()["opt_out_date"] is not None
    assert again.json() == response.json()
    assert CallbackDelivery.objects.filter(event_type="subscription_removed").count() == 1


def test_delete_defaults_to_user_opt_out_and_refuses_unknown_reasons(api):
    person, campaign, _ = subscribed_person()
    url = f"/api/v1/persons/{person.public_id}/subscriptions/{campaign.pk}/"

    bad = api.delete(url, {"opt_out_reason": "bored"}, format="json")
    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async"):
        good = api.delete(url)

    assert bad.status_code == 400
    assert "opt_out_reason" in bad.json()
    assert good.json()["opt_out_reason"] == "user_opt_out"
