"""An endpoint's person-API key reaches only persons subscribed to its campaigns (DESIGN §7).

Everyone else answers exactly as a person who does not exist, and nothing about them changes.
An endpoint without campaigns, and users with the person-API permission, reach everyone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from campaigns.models import Campaign
from subscriptions.models import CallbackDelivery, CallbackEndpoint, Person, Subscription
from subscriptions.services import PersonData, contact_subscribe, endpoint_api_key_issue
from tests.api_clients import api_client
from tests.factories import CallbackEndpointFactory, CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 22, 15, 42, 23, tzinfo=UTC)
MISSING = "00000000-0000-4000-8000-000000000001"


def key_client(endpoint: CallbackEndpoint) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {endpoint_api_key_issue(endpoint_id=endpoint.pk)}"
    )
    return client


def subscribe(campaign: Campaign, **person: Any) -> Person:
    subscription = contact_subscribe(
        contact_id=None,
        campaign_id=campaign.pk,
        source_id=SourceFactory.create().pk,
        person=PersonData(**person),
        at=AT,
    )
    return subscription.person


@pytest.fixture
def world() -> dict[str, Any]:
    """Campaigns 1 and 2; Ada came in through 1, Bob only through 2; a key limited to 1."""
    one, two = CampaignFactory.create(), CampaignFactory.create()
    ada = subscribe(one, email="ada@example.com", mobile_phone="+17272870001")
    bob = subscribe(two, email="bob@example.com", mobile_phone="+17272870002")
    Person.objects.filter(pk=bob.pk).update(external_id="bob-crm", first_name="Bob")
    bob.refresh_from_db()
    endpoint = CallbackEndpointFactory.create(campaigns=[one])
    CallbackDelivery.objects.all().delete()
    return {"one": one, "two": two, "ada": ada, "bob": bob, "key": key_client(endpoint)}


def snapshot(person: Person) -> tuple[Any, ...]:
    person.refresh_from_db()
    subs = tuple(Subscription.objects.filter(person=person).values_list("opt_out_date", flat=True))
    return (person.external_id, person.email, person.first_name, person.custom_fields, subs)


def test_it_answers_a_person_outside_the_keys_campaigns_as_if_they_did_not_exist(world):
    key, bob = world["key"], world["bob"]

    outside = key.get(f"/api/v1/persons/{bob.public_id}/")
    missing = key.get(f"/api/v1/persons/{MISSING}/")

    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert key.get("/api/v1/persons/external/bob-crm/").json() == (
        key.get("/api/v1/persons/external/nobody/").json()
    )
    assert key.get("/api/v1/persons/external/bob-crm/").status_code == 404


def test_it_reads_a_person_subscribed_to_one_of_the_keys_campaigns(world):
    response = world["key"].get(f"/api/v1/persons/{world['ada'].public_id}/")

    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_it_refuses_to_change_a_person_outside_the_keys_campaigns(world, method):
    key, bob = world["key"], world["bob"]
    before = snapshot(bob)
    body = {"first_name": "Mallory", "external_id": "taken-over"}

    by_id = getattr(key, method)(f"/api/v1/persons/{bob.public_id}/", body, format="json")
    by_external = getattr(key, method)("/api/v1/persons/external/bob-crm/", body, format="json")

    assert by_id.status_code == by_external.status_code == 404
    assert by_id.json() == key.get(f"/api/v1/persons/{MISSING}/").json()
    assert snapshot(bob) == before


def test_it_hides_the_subscriptions_of_a_person_outside_the_keys_campaigns(world):
    key, bob, two = world["key"], world["bob"], world["two"]

    listed = key.get(f"/api/v1/persons/{bob.public_id}/subscriptions/")
    one = key.get(f"/api/v1/persons/{bob.public_id}/subscriptions/{two.pk}/")

    assert listed.status_code == one.status_code == 404
    assert listed.json() == one.json() == key.get(f"/api/v1/persons/{MISSING}/").json()


def test_it_refuses_to_opt_out_a_person_outside_the_keys_campaigns(world):
    key, bob, two = world["key"], world["bob"], world["two"]
    before = snapshot(bob)

    response = key.delete(f"/api/v1/persons/{bob.public_id}/subscriptions/{two.pk}/")

    assert response.status_code == 404
    assert snapshot(bob) == before
    assert not CallbackDelivery.objects.exists()


def test_it_lists_only_the_subscriptions_to_the_keys_campaigns(world):
    key, ada, one, two = world["key"], world["ada"], world["one"], world["two"]
    subscribe(two, email="ada@example.com", mobile_phone="+17272870001")
    CallbackDelivery.objects.all().delete()
    url = f"/api/v1/persons/{ada.public_id}/subscriptions/"

    listed = key.get(url)
    other = key.get(f"{url}{two.pk}/")
    unknown = key.get(f"{url}999999/")
    opt_out = key.delete(f"{url}{two.pk}/")

    assert [s["subscription_list"]["id"] for s in listed.json()["results"]] == [str(one.pk)]
    assert other.status_code == unknown.status_code == opt_out.status_code == 404
    assert other.json() == unknown.json() == opt_out.json()
    assert Subscription.objects.get(person=ada, campaign=two).opt_out_date is None
    assert not CallbackDelivery.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"mobile": "+17272870002", "first_name": "Mallory"},
        {"email": "bob@example.com", "first_name": "Mallory"},
        {"mobile_phone": {"mdn": "+17272870002"}, "email": "bob@example.com"},
    ],
)
def test_adding_a_person_known_only_outside_the_scope_reveals_and_changes_nothing(world, body):
    key, bob = world["key"], world["bob"]
    before = snapshot(bob)
    count = Person.objects.count()

    known = key.post("/api/v1/persons/", body, format="json")
    unknown = key.post(
        "/api/v1/persons/",
        {"mobile": "+17272879999", "email": "nobody@example.com", "first_name": "Mallory"},
        format="json",
    )

    assert known.status_code == unknown.status_code == 404
    assert known.json() == unknown.json()
    assert "bob" not in known.content.decode().lower()
    assert snapshot(bob) == before
    assert Person.objects.count() == count


def test_adding_merges_into_a_person_of_the_keys_campaigns(world):
    key, ada = world["key"], world["ada"]

    response = key.post(
        "/api/v1/persons/", {"mobile": "+17272870001", "first_name": "Ada"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["id"] == str(ada.public_id)
    ada.refresh_from_db()
    assert ada.first_name == "Ada"


def test_a_key_of_an_endpoint_without_campaigns_reaches_everyone(world):
    everyone = key_client(CallbackEndpointFactory.create())
    bob = world["bob"]

    assert everyone.get(f"/api/v1/persons/{bob.public_id}/").status_code == 200
    assert everyone.get(f"/api/v1/persons/{bob.public_id}/subscriptions/").json()["count"] == 1
    added = everyone.post("/api/v1/persons/", {"email": "new@example.com"}, format="json")
    assert added.status_code == 201


def test_a_user_with_the_person_api_permission_reaches_everyone(world):
    user = api_client("subscriptions.use_person_api")
    bob, two = world["bob"], world["two"]

    assert user.get(f"/api/v1/persons/{bob.public_id}/").status_code == 200
    assert user.get(f"/api/v1/persons/{bob.public_id}/subscriptions/{two.pk}/").status_code == 200
    merged = user.post("/api/v1/persons/", {"mobile": "+17272870002"}, format="json")
    assert merged.status_code == 200
    assert merged.json()["id"] == str(bob.public_id)
