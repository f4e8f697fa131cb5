"""Callback endpoints and the delivery log over the API, with replay."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from subscriptions.models import CallbackDelivery, CallbackEndpoint, DeliveryStatus
from subscriptions.services import PersonData, contact_subscribe
from tests.api_clients import api_client, make_campaign, make_source, superuser_client
from tests.factories import CallbackEndpointFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 22, 15, 42, 23, tzinfo=UTC)


def a_delivery(**endpoint_fields) -> CallbackDelivery:
    campaign, source = make_campaign(), make_source()
    CallbackEndpointFactory.create(**endpoint_fields)
    contact_subscribe(
        contact_id=7,
        campaign_id=campaign.pk,
        source_id=source.pk,
        person=PersonData(email="ada@example.com"),
        at=AT,
    )
    return CallbackDelivery.objects.get()


def test_it_creates_an_endpoint_for_some_campaigns_and_shows_its_secret():
    campaign = make_campaign()
    response = superuser_client().post(
        "/api/v1/callback-endpoints/",
        {
            "name": "CRM",
            "url": "https://crm.example.com/hook",
            "campaigns": [campaign.pk],
            "event_types": ["subscription_added"],
            "headers": {"X-Api-Key": "abc"},
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    endpoint = CallbackEndpoint.objects.get()
    assert list(endpoint.campaigns.all()) == [campaign]
    assert response.data["secret"] == endpoint.secret
    assert response.data["has_api_key"] is False


def test_reserved_headers_are_refused_with_400():
    response = superuser_client().post(
        "/api/v1/callback-endpoints/",
        {"name": "CRM", "url": "https://crm.example.com/", "headers": {"webhook-id": "x"}},
        format="json",
    )
    assert response.status_code == 400
    assert "headers" in response.data


def test_an_update_can_replace_or_keep_the_campaigns():
    first, second = make_campaign(), make_campaign()
    endpoint = CallbackEndpointFactory.create(campaigns=[first])
    api = superuser_client()
    api.patch(f"/api/v1/callback-endpoints/{endpoint.pk}/", {"name": "New"}, format="json")
    assert list(endpoint.campaigns.all()) == [first]
    api.patch(
        f"/api/v1/callback-endpoints/{endpoint.pk}/", {"campaigns": [second.pk]}, format="json"
    )
    assert list(endpoint.campaigns.all()) == [second]


def test_an_api_key_is_shown_once_and_can_be_revoked():
    endpoint = CallbackEndpointFactory.create()
    api = superuser_client()
    issued = api.post(f"/api/v1/callback-endpoints/{endpoint.pk}/api-key/")
    assert issued.status_code == 201
    assert issued.data["api_key"].startswith("cscrm_")
    assert api.get(f"/api/v1/callback-endpoints/{endpoint.pk}/").data["has_api_key"] is True
    assert api.delete(f"/api/v1/callback-endpoints/{endpoint.pk}/api-key/").status_code == 204
    endpoint.refresh_from_db()
    assert endpoint.api_key_hash == ""


def test_an_auto_disabled_endpoint_can_be_enabled_again():
    endpoint = CallbackEndpointFactory.create(
        is_active=False, disabled_at=AT, disabled_reason="failing"
    )
    response = superuser_client().post(f"/api/v1/callback-endpoints/{endpoint.pk}/enable/")
    assert response.status_code == 200
    assert response.data["is_active"] is True
    assert response.data["disabled_at"] is None


def test_deliveries_are_listed_and_filtered():
    delivery = a_delivery()
    api = superuser_client()
    rows = api.get(f"/api/v1/deliveries/?endpoint={delivery.endpoint_id}").data["results"]
    assert [r["id"] for r in rows] == [delivery.pk]
    assert rows[0]["payload"]["person"]["id"]
    assert api.get("/api/v1/deliveries/?status=dead").data["count"] == 0


def test_a_dead_delivery_is_replayed_with_the_same_event_id():
    delivery = a_delivery()
    CallbackDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD)
    api = superuser_client()

    response = api.post(f"/api/v1/deliveries/{delivery.pk}/replay/")

    assert response.status_code == 200
    assert response.data["status"] == "pending"
    assert response.data["event_id"] == str(delivery.event_id)


def test_replaying_every_dead_delivery_of_an_endpoint():
    delivery = a_delivery()
    CallbackDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD)
    response = superuser_client().post(
        f"/api/v1/callback-endpoints/{delivery.endpoint_id}/replay-dead/"
    )
    assert response.data == {"replayed": 1}


def test_replay_needs_the_change_permission_on_deliveries():
    delivery = a_delivery()
    viewer = api_client("subscriptions.view_callbackdelivery")
    assert viewer.post(f"/api/v1/deliveries/{delivery.pk}/replay/").status_code == 403
    changer = api_client(
        "subscriptions.view_callbackdelivery", "subscriptions.change_callbackdelivery"
    )
    assert changer.post(f"/api/v1/deliveries/{delivery.pk}/replay/").status_code == 200
