"""An endpoint whose every attempt failed for 5 days is disabled, and marketers see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
import time_machine
from django.contrib.auth import get_user_model

from subscriptions.models import CallbackDelivery
from subscriptions.services import PersonData, contact_subscribe, delivery_send, endpoint_enable
from tests.callback_doubles import callback_route
from tests.factories import CallbackEndpointFactory, CampaignFactory, SourceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_callbacks")]

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
URL = "http://crm.test/callbacks"


def new_delivery(at):
    with time_machine.travel(at, tick=False):
        contact_subscribe(
            contact_id=None,
            campaign_id=CampaignFactory.create().pk,
            source_id=SourceFactory.create().pk,
            person=PersonData(),
            at=at,
        )
    return CallbackDelivery.objects.latest("id")


def attempt(delivery, at):
    CallbackDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=at)
    with time_machine.travel(at, tick=False):
        delivery_send(delivery_id=delivery.pk)


@respx.mock
def test_it_disables_an_endpoint_that_failed_every_attempt_for_five_days():
    endpoint = CallbackEndpointFactory.create(url=URL)
    callback_route(URL).mock(return_value=httpx.Response(500))

    for day in range(5):
        attempt(new_delivery(NOW + timedelta(days=day)), NOW + timedelta(days=day))
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 5
    assert endpoint.failing_since == NOW

    attempt(new_delivery(NOW + timedelta(days=5)), NOW + timedelta(days=5))

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at == NOW + timedelta(days=5)
    assert "5 days" in endpoint.disabled_reason


@respx.mock
def test_a_success_ends_the_failure_streak():
    endpoint = CallbackEndpointFactory.create(url=URL)
    callback_route(URL).mock(
        side_effect=[httpx.Response(500), httpx.Response(200), httpx.Response(500)]
    )

    attempt(new_delivery(NOW), NOW)
    attempt(new_delivery(NOW + timedelta(days=3)), NOW + timedelta(days=3))
    attempt(new_delivery(NOW + timedelta(days=6)), NOW + timedelta(days=6))

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 1
    assert endpoint.failing_since == NOW + timedelta(days=6)


@respx.mock
def test_the_consecutive_failure_count_can_disable_sooner(settings):
    settings.CALLBACK_DISABLE_AFTER_FAILURES = 3
    endpoint = CallbackEndpointFactory.create(url=URL)
    callback_route(URL).mock(return_value=httpx.Response(500))

    for minute in range(3):
        attempt(new_delivery(NOW), NOW + timedelta(minutes=minute))

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "3 attempts in a row" in endpoint.disabled_reason


def test_a_disabled_endpoints_waiting_deliveries_resume_when_it_is_enabled():
    endpoint = CallbackEndpointFactory.create(url=URL)
    delivery = new_delivery(NOW)
    endpoint.is_active, endpoint.disabled_at = False, NOW
    endpoint.save()
    CallbackDelivery.objects.filter(pk=delivery.pk).update(enqueued_at=NOW)

    endpoint_enable(endpoint_id=endpoint.pk)

    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_at is None
    assert delivery.enqueued_at is None  # the next sweep sends it


def test_marketers_see_an_automatically_disabled_endpoint_in_the_admin(client):
    CallbackEndpointFactory.create(
        name="Acme CRM",
        is_active=False,
        disabled_at=NOW,
        disabled_reason="Every attempt failed for 5 days.",
    )
    CallbackEndpointFactory.create(name="Healthy CRM")
    admin = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(admin)

    page = client.get("/admin/subscriptions/callbackendpoint/").content.decode()
    filtered = client.get("/admin/subscriptions/callbackendpoint/?state=auto_disabled")

    assert "Disabled automatically" in page
    assert "Endpoint Acme CRM was disabled automatically" in page
    assert "Acme CRM" in filtered.content.decode()
    assert "Healthy CRM" not in filtered.content.decode()
