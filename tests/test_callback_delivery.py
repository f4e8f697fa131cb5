"""One attempt at a delivery: signed, classified (DESIGN §7's retry classes), recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
import time_machine
from standardwebhooks.webhooks import Webhook

from contactsource.webhooks import PostResult
from subscriptions.models import CallbackDelivery
from subscriptions.services import PersonData, contact_subscribe, delivery_send
from subscriptions.services.delivery import delivery_claim, delivery_record, endpoint_target
from tests.callback_doubles import callback_route
from tests.factories import CallbackEndpointFactory, CampaignFactory, SourceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_callbacks")]

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
URL = "http://crm.test/callbacks"


@pytest.fixture
def delivery():
    endpoint = CallbackEndpointFactory.create(url=URL, headers={"X-Crm-Key": "k1"})
    with time_machine.travel(NOW, tick=False):
        contact_subscribe(
            contact_id=1,
            campaign_id=CampaignFactory.create().pk,
            source_id=SourceFactory.create().pk,
            person=PersonData(email="ada@example.com"),
            at=NOW,
        )
    row = CallbackDelivery.objects.get()
    assert row.endpoint == endpoint
    return row


def send(delivery, at=NOW):
    with time_machine.travel(at, tick=False):
        status = delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return status


@respx.mock
def test_it_posts_a_signed_body_and_marks_a_2xx_delivered(delivery):
    route = callback_route(URL).mock(return_value=httpx.Response(204))

    assert send(delivery) == "delivered"

    request = route.calls.last.request
    assert request.headers["webhook-id"] == str(delivery.event_id)
    assert request.headers["x-crm-key"] == "k1"
    assert request.headers["content-type"] == "application/json"
    with time_machine.travel(NOW, tick=False):
        body = Webhook(delivery.endpoint.secret).verify(request.content, dict(request.headers))
    assert body["event_id"] == str(delivery.event_id)
    assert body["delivery_attempt"] == "1"
    assert delivery.status == "delivered"
    assert delivery.attempts == 1
    assert delivery.delivered_at == NOW
    assert delivery.last_status_code == 204


@respx.mock
def test_a_5xx_is_retried_later_with_the_same_event_id_and_the_next_attempt_number(delivery):
    route = callback_route(URL).mock(side_effect=[httpx.Response(500), httpx.Response(200)])

    assert send(delivery) == "pending"
    wait = (delivery.next_attempt_at - NOW).total_seconds()
    assert 22.5 <= wait <= 37.5  # 30 s ± 25 % jitter
    assert delivery.last_status_code == 500

    assert send(delivery, at=delivery.next_attempt_at) == "delivered"

    first, second = (json.loads(call.request.content) for call in route.calls)
    assert first["event_id"] == second["event_id"]
    assert (first["delivery_attempt"], second["delivery_attempt"]) == ("1", "2")
    assert (
        route.calls[0].request.headers["webhook-id"] == route.calls[1].request.headers["webhook-id"]
    )


@respx.mock
def test_the_backoff_grows_exponentially(delivery, settings):
    settings.CALLBACK_RETRY_BASE_SECONDS = 10
    callback_route(URL).mock(return_value=httpx.Response(502))
    at = NOW
    waits = []
    for _ in range(4):
        send(delivery, at=at)
        waits.append((delivery.next_attempt_at - at).total_seconds())
        at = delivery.next_attempt_at

    for attempt, wait in enumerate(waits):
        assert 10 * 2**attempt * 0.75 <= wait <= 10 * 2**attempt * 1.25


@respx.mock
@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_a_4xx_is_permanent(delivery, code):
    callback_route(URL).mock(return_value=httpx.Response(code))

    assert send(delivery) == "dead"

    assert delivery.endpoint.is_active


@respx.mock
def test_a_410_kills_the_delivery_and_disables_the_endpoint(delivery):
    callback_route(URL).mock(return_value=httpx.Response(410))

    assert send(delivery) == "dead"

    endpoint = delivery.endpoint
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.auto_disabled
    assert "410" in endpoint.disabled_reason


@respx.mock
@pytest.mark.parametrize("code", [408, 429, 503])
def test_retry_after_in_seconds_is_honoured(delivery, code):
    callback_route(URL).mock(return_value=httpx.Response(code, headers={"Retry-After": "120"}))

    assert send(delivery) == "pending"

    assert delivery.next_attempt_at == NOW + timedelta(seconds=120)


@respx.mock
def test_retry_after_as_an_http_date_is_honoured(delivery):
    callback_route(URL).mock(
        return_value=httpx.Response(503, headers={"Retry-After": "Sun, 22 Nov 2026 12:10:00 GMT"})
    )

    send(delivery)

    assert delivery.next_attempt_at == NOW + timedelta(minutes=10)


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.Response(302, headers={"Location": "http://elsewhere.test/"}),
    ],
)
def test_timeouts_connection_errors_and_redirects_are_retried(delivery, answer):
    route = callback_route(URL)
    route.mock(side_effect=answer) if isinstance(answer, Exception) else route.mock(
        return_value=answer
    )
    elsewhere = callback_route("http://elsewhere.test/").mock(return_value=httpx.Response(200))

    assert send(delivery) == "pending"

    assert not elsewhere.called
    assert delivery.attempts == 1


@respx.mock
def test_a_failure_after_the_retry_window_is_final(delivery):
    callback_route(URL).mock(return_value=httpx.Response(500))

    assert send(delivery, at=delivery.retry_until - timedelta(seconds=5)) == "dead"


def test_it_refuses_a_private_address_unless_allowed(delivery, settings):
    settings.CALLBACK_ALLOW_PRIVATE = False
    delivery.endpoint.url = "http://127.0.0.1:9/callbacks"
    delivery.endpoint.save()

    assert send(delivery) == "pending"

    assert "private or loopback" in delivery.last_error


@respx.mock
def test_a_row_that_is_not_due_or_whose_endpoint_is_off_is_not_sent(delivery):
    route = callback_route(URL).mock(return_value=httpx.Response(200))

    assert send(delivery, at=NOW - timedelta(seconds=1)) is None
    delivery.endpoint.is_active = False
    delivery.endpoint.save()
    assert send(delivery) is None

    assert not route.called
    assert delivery.attempts == 0


def test_a_claim_is_exclusive_until_its_lease_ends(delivery, settings):
    lease = timedelta(seconds=settings.CALLBACK_LEASE_SECONDS)

    assert delivery_claim(delivery_id=delivery.pk, now=NOW)
    assert not delivery_claim(delivery_id=delivery.pk, now=NOW + lease / 2)
    # Its worker died: once the lease ends the row is due again, for attempt 2.
    assert delivery_claim(delivery_id=delivery.pk, now=NOW + lease)

    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_a_superseded_attempt_does_not_overwrite_the_current_one(delivery, settings):
    lease = timedelta(seconds=settings.CALLBACK_LEASE_SECONDS)
    stale = delivery_claim(delivery_id=delivery.pk, now=NOW)
    delivery_claim(delivery_id=delivery.pk, now=NOW + lease)
    target = endpoint_target(endpoint_id=delivery.endpoint_id)
    assert stale is not None and target is not None

    delivery_record(claim=stale, target=target, result=PostResult(200), now=NOW + lease)

    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.attempts == 2
