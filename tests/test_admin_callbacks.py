from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from sources.models import SourceCampaign
from subscriptions.models import CallbackDelivery, CallbackEndpoint, Subscription
from tests.factories import CallbackEndpointFactory, PersonFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


def deliveries(endpoint: CallbackEndpoint, status: str, count: int) -> None:
    entry: SourceCampaign = SourceCampaignFactory.create()
    subscription = Subscription.objects.create(
        person=PersonFactory.create(),
        campaign=entry.campaign,
        acquisition_source=entry.source,
        opt_in_date=timezone.now(),
    )
    now = timezone.now()
    for _ in range(count):
        CallbackDelivery.objects.create(
            endpoint=endpoint,
            subscription=subscription,
            event_id=uuid.uuid4(),
            event_type="subscription_added",
            event_date=now,
            payload={},
            status=status,
            next_attempt_at=now,
            retry_until=now + timedelta(days=1),
        )


def test_an_endpoint_page_counts_its_deliveries_and_replays_the_dead(marketer_client, monkeypatch):
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()
    deliveries(endpoint, "delivered", 3)
    deliveries(endpoint, "dead", 2)
    monkeypatch.setattr("subscriptions.services.delivery.deliveries_enqueue", lambda ids: None)
    url = f"/admin/subscriptions/callbackendpoint/{endpoint.pk}/change/"

    page = marketer_client.get(url).content.decode()

    log = f"/admin/subscriptions/callbackdelivery/?endpoint__id__exact={endpoint.pk}"
    assert f'href="{log}&amp;status__exact=delivered">3</a>' in page
    assert f'href="{log}&amp;status__exact=dead">2</a>' in page
    assert f'href="{log}&amp;status__exact=pending">0</a>' in page
    assert "Replay 2 dead" in page

    marketer_client.post(
        "/admin/subscriptions/callbackendpoint/",
        {"action": "replay_dead", "_selected_action": endpoint.pk},
    )

    assert CallbackDelivery.objects.filter(status="pending").count() == 2
    assert marketer_client.get(log).status_code == 200


def test_the_dashboard_lists_every_endpoints_deliveries(marketer_client):
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create(name="Buyer CRM")
    deliveries(endpoint, "pending", 1)

    page = marketer_client.get("/admin/dashboard/").content.decode()

    assert "Buyer CRM" in page
    assert f"endpoint__id__exact={endpoint.pk}&amp;status__exact=pending" in page
