"""Sending callbacks: claim, post, record; retries, the lost-task sweeper and replays."""

from __future__ import annotations

import email.utils
import json
import logging
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from contactsource.backoff import backoff_delay
from contactsource.webhooks import PostResult, signed_post
from subscriptions.models import CallbackDelivery, CallbackEndpoint, DeliveryStatus
from subscriptions.payloads import callback_body
from subscriptions.services.outbox import deliveries_claim, deliveries_enqueue, retry_window_end

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
        # TCP_NODELAY, as curl does: httpx writes the headers and the body separately, and
        # Nagle plus the receiver's delayed ACK would stall every callback ~40 ms.
        transport = httpx.HTTPTransport(
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        )
        client = httpx.Client(follow_redirects=False, transport=transport)
        _local.client = client
    return client


@dataclass(frozen=True)
class Verdict:
    status: DeliveryStatus
    next_attempt_at: datetime | None = None
    disable_endpoint: str = ""


@dataclass(frozen=True)
class Claim:
    """One claimed attempt: what the worker needs to post it and to record the answer."""

    delivery_id: int
    endpoint_id: int
    event_id: uuid.UUID
    event_type: str
    event_date: datetime
    payload: dict[str, Any]
    attempt: int
    retry_until: datetime


@dataclass(frozen=True)
class Target:
    url: str
    secret: str
    headers: dict[str, str]
    consecutive_failures: int
    failing_since: datetime | None


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
    return backoff_delay(
        attempt,
        base=settings.CALLBACK_RETRY_BASE_SECONDS,
        cap=settings.CALLBACK_RETRY_MAX_DELAY_SECONDS,
        jitter=0.25,
    )


def judge(claim: Claim, result: PostResult, now: datetime) -> Verdict:
    """What one attempt's answer means for the delivery (DESIGN §7's retry classes)."""
    code = result.status_code
    if result.ok:
        return Verdict(DeliveryStatus.DELIVERED)
    if code is not None and 400 <= code < 500 and code not in TRANSIENT_4XX:
        disable = f"The endpoint answered {GONE} Gone." if code == GONE else ""
        return Verdict(DeliveryStatus.DEAD, disable_endpoint=disable)
    delay = backoff_seconds(claim.attempt)
    if code in RETRY_AFTER_STATUSES:
        asked = parse_retry_after(result.retry_after, now)
        if asked is not None:
            delay = min(max(asked, 1.0), settings.CALLBACK_RETRY_MAX_DELAY_SECONDS)
    next_at = now + timedelta(seconds=delay)
    if next_at > claim.retry_until:
        return Verdict(DeliveryStatus.DEAD)
    return Verdict(DeliveryStatus.PENDING, next_attempt_at=next_at)


# The worker's three statements are plain SQL: through the ORM, compiling the queries and
# building model instances cost ~5 ms of CPU per callback, ten times the statements themselves,
# and one worker process is bound by that CPU.
_DELIVERY = CallbackDelivery._meta.db_table
_ENDPOINT = CallbackEndpoint._meta.db_table
_CLAIM_SQL = f"""
UPDATE {_DELIVERY}
SET attempts = attempts + 1, next_attempt_at = %s, enqueued_at = NULL, last_attempt_at = %s
WHERE id = %s AND status = %s AND next_attempt_at <= %s
  AND endpoint_id IN (SELECT id FROM {_ENDPOINT} WHERE is_active)
RETURNING id, endpoint_id, event_id, event_type, event_date, payload, attempts, retry_until
"""  # noqa: S608 - table names from model metadata, values are parameters
_TARGET_SQL = f"""
SELECT url, secret, headers, consecutive_failures, failing_since FROM {_ENDPOINT} WHERE id = %s
"""  # noqa: S608


def _db_json(value: Any) -> Any:
    # Django's psycopg setup loads json/jsonb columns as text (its fields decode them).
    return json.loads(value) if isinstance(value, str | bytes) else value


def delivery_claim(*, delivery_id: int, now: datetime) -> Claim | None:
    """Take the row for one attempt, or learn that someone else has it or it is not due.

    The conditional UPDATE is the lock: exactly one worker moves a due row a lease ahead.
    If that worker dies, the row falls due again when the lease ends and the sweeper resends it.
    """
    lease_end = now + timedelta(seconds=settings.CALLBACK_LEASE_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [lease_end, now, delivery_id, DeliveryStatus.PENDING, now])
        row = cursor.fetchone()
    if row is None:
        return None
    return Claim(
        delivery_id=int(row[0]),
        endpoint_id=int(row[1]),
        event_id=row[2] if isinstance(row[2], uuid.UUID) else uuid.UUID(str(row[2])),
        event_type=str(row[3]),
        event_date=row[4],
        payload=_db_json(row[5]),
        attempt=int(row[6]),
        retry_until=row[7],
    )


def endpoint_target(*, endpoint_id: int) -> Target | None:
    with connection.cursor() as cursor:
        cursor.execute(_TARGET_SQL, [endpoint_id])
        row = cursor.fetchone()
    if row is None:
        return None
    headers = _db_json(row[2]) or {}
    return Target(
        url=str(row[0]),
        secret=str(row[1]),
        headers={str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {},
        consecutive_failures=int(row[3]),
        failing_since=row[4],
    )


def delivery_send(*, delivery_id: int, client: httpx.Client | None = None) -> DeliveryStatus | None:
    """One attempt at one delivery; None when the row was not ours to send."""
    now = timezone.now()
    claim = delivery_claim(delivery_id=delivery_id, now=now)
    if claim is None:
        return None
    target = endpoint_target(endpoint_id=claim.endpoint_id)
    assert target is not None  # deliveries go with their endpoint (CASCADE)
    body = callback_body(
        endpoint_id=claim.endpoint_id,
        event_id=claim.event_id,
        event_type=claim.event_type,
        event_date=claim.event_date,
        attempt=claim.attempt,
        subscription=claim.payload,
    )
    result = signed_post(
        target.url,
        secret=target.secret,
        msg_id=str(claim.event_id),
        timestamp=now,
        body=body,
        headers=target.headers,
        client=client or http_client(),
    )
    return delivery_record(claim=claim, target=target, result=result, now=timezone.now())


def deliveries_send(*, delivery_ids: list[int]) -> None:
    """One attempt at each; a crash on one leaves it to its lease and goes on with the rest."""
    for delivery_id in delivery_ids:
        try:
            delivery_send(delivery_id=delivery_id)
        except Exception:
            logger.exception("callbacks: delivery %s crashed; retried after its lease", delivery_id)


def custom_headers(endpoint: CallbackEndpoint) -> dict[str, str]:
    headers = endpoint.headers if isinstance(endpoint.headers, dict) else {}
    return {str(k): str(v) for k, v in headers.items()}


def _record_row(claim: Claim, changes: dict[str, Any]) -> None:
    # Only the holder of this attempt writes: a slower, superseded attempt must not overwrite.
    columns = ", ".join(f"{name} = %s" for name in changes)
    sql = f"UPDATE {_DELIVERY} SET {columns} WHERE id = %s AND attempts = %s"  # noqa: S608
    params = [*changes.values(), claim.delivery_id, claim.attempt]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def delivery_record(
    *, claim: Claim, target: Target, result: PostResult, now: datetime
) -> DeliveryStatus:
    """Store an attempt's outcome and feed the endpoint's failure streak."""
    verdict = judge(claim, result, now)
    changes: dict[str, Any] = {
        "status": verdict.status.value,
        "last_status_code": result.status_code,
        "last_error": result.error[:500],
    }
    if verdict.status == DeliveryStatus.DELIVERED:
        changes["delivered_at"] = now
    elif verdict.status == DeliveryStatus.PENDING:
        changes["next_attempt_at"] = verdict.next_attempt_at
    _record_row(claim, changes)
    if verdict.status == DeliveryStatus.DELIVERED:
        if target.consecutive_failures or target.failing_since:
            endpoint_failures_reset(endpoint_id=claim.endpoint_id)
    else:
        endpoint_failure_record(endpoint_id=claim.endpoint_id, now=now)
        if verdict.disable_endpoint:
            endpoint_disable(
                endpoint_id=claim.endpoint_id, reason=verdict.disable_endpoint, now=now
            )
        logger.info(
            "callback delivery %s to endpoint %s failed (attempt %s, %s): %s",
            claim.delivery_id,
            claim.endpoint_id,
            claim.attempt,
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
    ids = deliveries_claim(
        now=now,
        lost_before=now - timedelta(seconds=settings.CALLBACK_LOST_TASK_SECONDS),
        limit=limit or settings.CALLBACK_SWEEP_BATCH,
    )
    return deliveries_enqueue(ids) if ids else 0


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
