"""The callback body is the seed's format (DESIGN §7), byte for byte what gets signed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from subscriptions.models import CallbackDelivery, EventType
from subscriptions.payloads import callback_body, subscription_object
from subscriptions.services import PersonData, contact_subscribe, subscription_opt_out
from tests.factories import CallbackEndpointFactory, CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 22, 15, 42, 23, 918000, tzinfo=UTC)
ADDED_KEYS = {"person", "subscription_list", "opt_in_date", "acquisition_campaign", "url"}


def test_subscription_added_has_exactly_the_seed_keys_plus_callback_type():
    campaign, source = CampaignFactory.create(), SourceFactory.create()
    endpoint = CallbackEndpointFactory.create()
    subscription = contact_subscribe(
        contact_id=1,
        campaign_id=campaign.pk,
        source_id=source.pk,
        person=PersonData(mobile_phone="+17272870426"),
        at=AT,
    )
    delivery = CallbackDelivery.objects.get()
    person = subscription.person

    body = json.loads(
        callback_body(
            endpoint_id=endpoint.pk,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            event_date=delivery.event_date,
            attempt=3,
            subscription=delivery.payload,
        )
    )

    assert list(body) == [
        "callback_id",
        "event_id",
        "event_type",
        "callback_type",
        "event_date",
        "delivery_attempt",
        "subscription",
    ]
    assert body["callback_id"] == str(endpoint.pk)
    assert body["event_id"] == str(delivery.event_id)
    assert body["event_type"] == body["callback_type"] == "subscription_added"
    assert body["event_date"] == "2026-11-22T15:42:23Z"
    assert body["delivery_attempt"] == "3"
    assert set(body["subscription"]) == ADDED_KEYS
    assert body["subscription"] == {
        "person": {
            "id": str(person.public_id),
            "external_id": None,
            "url": f"/api/v1/persons/{person.public_id}/",
        },
        "subscription_list": {"id": str(campaign.pk), "url": f"/api/v1/campaigns/{campaign.pk}/"},
        "opt_in_date": "2026-11-22T15:42:23Z",
        "acquisition_campaign": {"id": str(source.pk), "url": f"/api/v1/sources/{source.pk}/"},
        "url": f"/api/v1/persons/{person.public_id}/subscriptions/{campaign.pk}/",
    }


def test_subscription_removed_adds_the_opt_out_date_and_reason():
    campaign, source = CampaignFactory.create(), SourceFactory.create()
    CallbackEndpointFactory.create(event_types=[EventType.SUBSCRIPTION_REMOVED])
    subscription = contact_subscribe(
        contact_id=1,
        campaign_id=campaign.pk,
        source_id=source.pk,
        person=PersonData(email="ada@example.com"),
        at=AT,
    )

    subscription_opt_out(
        subscription_id=subscription.pk, reason="failed_at_carrier", at=AT + timedelta(days=1)
    )

    payload = CallbackDelivery.objects.get().payload
    assert set(payload) == ADDED_KEYS | {"opt_out_date", "opt_out_reason"}
    assert payload["opt_out_date"] == "2026-11-23T15:42:23Z"
    assert payload["opt_out_reason"] == "failed_at_carrier"


def test_dates_are_utc_whatever_the_zone_they_were_made_in():
    eastern = timezone(timedelta(hours=-5))

    body = subscription_object(
        person_public_id="p",
        person_external_id="ext-1",
        campaign_id=3,
        source_id=None,
        opt_in_date=datetime(2026, 1, 9, 10, 34, 52, tzinfo=eastern),
    )

    assert body["opt_in_date"] == "2026-01-09T15:34:52Z"
    assert body["acquisition_campaign"] is None
    assert body["person"]["external_id"] == "ext-1"
