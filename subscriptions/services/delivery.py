"""Sending callbacks: claim, post, record; retries, the lost-task sweeper and replays."""

from __future__ import annotations

import email.utils
import logging
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from contactsource.webhooks import PostResult, signed_post
from subscriptions.models import CallbackDelivery, CallbackEndpoint, DeliveryStatus
from subscriptions.payloads import callback_body
from subscriptions.selectors import delivery_with_endpoint
from subscriptions.services.outbox import deliveries_enqueue, retry_window_end

logger = logging.getLogger(__name__)

# Answers that say "later" and may say when (Retry-After); every other 4xx is permanent.
RETRY_AFTER_STATUSES = frozenset({408, 429, 503})
TRANSIENT_4XX = frozenset({408, 429})
GONE = 410

_local = threading.local()


def http_client() -> httpx.Client:
    """One keep-alive client per worker thread: no TCP (and TLS) handshake per callback."""
    client: httpx.Client | None = getattr(_local, "client", None)
    if client is None:
        client = httpx.Client(follow_redirects=False)
        _local.client = client
    return client


@dataclass(frozen=True)
class Verdict:
    status: DeliveryStatus
    next_attempt_at: datetime | None = None
    disable_endpoint: str = ""


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(attempt: int) -> float:
    """Exponential from the base, capped, with ±25 % jitter so retries of a burst spread out."""
    base = settings.CALLBACK_RETRY_BASE_SECONDS * 2 ** min(attempt - 1, 30)
    delay = min(base, settings.CALLBACK_RETRY_MAX_DELAY_SECONDS)
    return delay * random.uniform(0.75, 1.25)


def judge(delivery: CallbackDelivery, result: PostResult, now: datetime) -> Verdict:
    """What one attempt's answer means for the delivery (DESIGN §7's retry classes)."""
    code = result.status_code
    if result.ok:
        return Verdict(DeliveryStatus.DELIVERED)
    if code is not None and 400 <= code < 500 and code not in TRANSIENT_4XX:
        disable = f"The endpoint answered {GONE} Gone." if code == GONE else ""
        return Verdict(DeliveryStatus.DEAD, disable_endpoint=disable)
    delay = backoff_seconds(delivery.attempts)
    if code in RETRY_AFTER_STATUSES:
        asked = parse_retry_after(result.retry_after, now)
        if asked is not None:
            delay = min(max(asked, 1.0), settings.CALLBACK_RETRY_MAX_DELAY_SECONDS)
    next_at = now + timedelta(seconds=delay)
    if next_at > delivery.retry_until:
        return Verdict(DeliveryStatus.DEAD)
    return Verdict(DeliveryStatus.PENDING, next_attempt_at=next_at)


def delivery_claim(*, delivery_id: int, now: datetime) -> bool:
    """Take the row for one attempt, or learn that someone else has it or it is not due.

    The conditional UPDATE is the lock: exactly one worker moves a due row a lease ahead.
    If that worker dies, the row falls due again when the lease ends and the sweeper resends it.
    """
    lease_end = now + timedelta(seconds=settings.CALLBACK_LEASE_SECONDS)
    claimed = CallbackDelivery.objects.filter(
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        endpoint__is_active=True,
    ).update(
        attempts=F("attempts") + 1,
        next_attempt_at=lease_end,
        enqueued_at=None,
        last_attempt_at=now,
    )
    return claimed == 1


def delivery_send(*, delivery_id: int, client: httpx.Client | None = None) -> DeliveryStatus | None:
    """One attempt at one delivery; None when the row was not ours to send."""
    now = timezone.now()
    if not delivery_claim(delivery_id=delivery_id, now=now):
        return None
    delivery = delivery_with_endpoint(delivery_id=delivery_id)
    assert delivery is not None
    endpoint = delivery.endpoint
    body = callback_body(
        endpoint_id=endpoint.pk,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        event_date=delivery.event_date,
        attempt=delivery.attempts,
        subscription=delivery.payload,
    )
    result = signed_post(
        endpoint.url,
        secret=endpoint.secret,
        msg_id=str(delivery.event_id),
        timestamp=now,
        body=body,
        headers=custom_headers(endpoint),
        client=client or http_client(),
    )
    return delivery_record(delivery=delivery, result=result, now=timezone.now())


def custom_headers(endpoint: CallbackEndpoint) -> dict[str, str]:
    headers = endpoint.headers if isinstance(endpoint.headers, dict) else {}
    return {str(k): str(v) for k, v in headers.items()}


def delivery_record(
    *, delivery: CallbackDelivery, result: PostResult, now: datetime
) -> DeliveryStatus:
    """Store an attempt's outcome and feed the endpoint's failure streak."""
    verdict = judge(delivery, result, now)
    changes: dict[str, object] = {
        "status": verdict.status,
        "last_status_code": result.status_code,
        "last_error": result.error[:500],
    }
    if verdict.status == DeliveryStatus.DELIVERED:
        changes["delivered_at"] = now
    elif verdict.status == DeliveryStatus.PENDING:
        changes["next_attempt_at"] = verdict.next_attempt_at
    # Only the holder of this attempt writes: a slower, superseded attempt must not overwrite.
    CallbackDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**changes)
    endpoint = delivery.endpoint
    if verdict.status == DeliveryStatus.DELIVERED:
        if endpoint.consecutive_failures or endpoint.failing_since:
            endpoint_failures_reset(endpoint_id=endpoint.pk)
    else:
        endpoint_failure_record(endpoint_id=endpoint.pk, now=now)
        if verdict.disable_endpoint:
            endpoint_disable(endpoint_id=endpoint.pk, reason=verdict.disable_endpoint, now=now)
        logger.info(
            "callback delivery %s to endpoint %s failed (attempt %s, %s): %s",
            delivery.pk,
            endpoint.pk,
            delivery.attempts,
            result.status_code or "no answer",
            verdict.status,
        )
    return verdict.status


def endpoint_failures_reset(*, endpoint_id: int) -> None:
    CallbackEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=0, failing_since=None
    )


def endpoint_failure_record(*, endpoint_id: int, now: datetime) -> None:
    """Count the failure; disable the endpoint once every attempt failed for days (Svix)."""
    CallbackEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1,
        failing_since=Coalesce(F("failing_since"), Value(now)),
    )
    days = settings.CALLBACK_DISABLE_AFTER_DAYS
    rule = Q(failing_since__lte=now - timedelta(days=days))
    reason = f"Every attempt failed for {days:g} days."
    if settings.CALLBACK_DISABLE_AFTER_FAILURES:
        count = settings.CALLBACK_DISABLE_AFTER_FAILURES
        rule |= Q(consecutive_failures__gte=count)
        reason = f"Every attempt failed for {days:g} days or {count} attempts in a row."
    if CallbackEndpoint.objects.filter(rule, pk=endpoint_id, is_active=True).exists():
        endpoint_disable(endpoint_id=endpoint_id, reason=reason, now=now)


def endpoint_disable(*, endpoint_id: int, reason: str, now: datetime) -> bool:
    disabled = CallbackEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:255]
    )
    if disabled:
        # Marketers see it in the admin (status column, filter and a warning banner).
        logger.warning("callbacks: endpoint %s disabled automatically: %s", endpoint_id, reason)
    return bool(disabled)


@transaction.atomic
def endpoint_enable(*, endpoint_id: int) -> None:
    """Back in service: a fresh failure streak; its waiting deliveries resume at once."""
    CallbackEndpoint.objects.filter(pk=endpoint_id).update(
        is_active=True,
        disabled_at=None,
        disabled_reason="",
        consecutive_failures=0,
        failing_since=None,
    )
    now = timezone.now()
    CallbackDelivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.PENDING).update(
        next_attempt_at=now, retry_until=retry_window_end(now), enqueued_at=None
    )


def deliveries_sweep(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Send the due deliveries that have no live task: retries, and tasks the broker lost.

    A row's task is presumed lost when it was sent CALLBACK_LOST_TASK_SECONDS ago and the row
    is still unclaimed (a Redis restart, a killed worker); a claimed row whose worker died
    comes back when its lease ends. A duplicate task is harmless: the claim lets one through.
    """
    now = now or timezone.now()
    lost_before = now - timedelta(seconds=settings.CALLBACK_LOST_TASK_SECONDS)
    ids = list(
        CallbackDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=lost_before))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[: limit or settings.CALLBACK_SWEEP_BATCH]
    )
    if not ids:
        return 0
    CallbackDelivery.objects.filter(pk__in=ids).update(enqueued_at=now)
    return deliveries_enqueue(ids)


@transaction.atomic
def deliveries_replay(
    *, delivery_ids: list[int] | None = None, endpoint_id: int | None = None
) -> int:
    """Send deliveries again now (the given ones, or every dead one of an endpoint).

    The event id stays, so a receiver that already has the event can ignore the replay;
    `delivery_attempt` keeps counting up.
    """
    if delivery_ids is None and endpoint_id is None:
        raise ValueError("Name the deliveries or the endpoint to replay.")
    queryset = CallbackDelivery.objects.all()
    if delivery_ids is not None:
        queryset = queryset.filter(pk__in=delivery_ids)
    if endpoint_id is not None:
        queryset = queryset.filter(endpoint_id=endpoint_id, status=DeliveryStatus.DEAD)
    now = timezone.now()
    ids = list(queryset.values_list("id", flat=True))
    CallbackDelivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        retry_until=retry_window_end(now),
        enqueued_at=now,
        delivered_at=None,
    )
    transaction.on_commit(lambda: deliveries_enqueue(ids))
    return len(ids)
