"""The outbox: one CallbackDelivery per event per matching endpoint, in the event's transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from subscriptions.models import (
    CallbackDelivery,
    CallbackEndpoint,
    DeliveryStatus,
    EventType,
    Person,
    Subscription,
)
from subscriptions.payloads import subscription_payload
from subscriptions.selectors import endpoints_for

if TYPE_CHECKING:
    from subscriptions.services.realtime import RealtimeOffer

logger = logging.getLogger(__name__)


# The outbox dispatcher's channel (subscriptions.services.dispatch): a statement, or a CTE's
# column, that wakes the dispatchers once the transaction commits (never if it rolls back).
CHANNEL = "callbacks_due"
NOTIFY_SQL = f"pg_notify('{CHANNEL}', '')"


def deliveries_announce() -> None:
    """Inside the transaction that wrote unsent deliveries: wake the dispatchers at COMMIT."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {NOTIFY_SQL}")


_DELIVERY = CallbackDelivery._meta.db_table
_ENDPOINT = CallbackEndpoint._meta.db_table
_CLAIM_SQL = (
    f"UPDATE {_DELIVERY} SET enqueued_at = %s WHERE id IN ("  # noqa: S608
    f"SELECT d.id FROM {_DELIVERY} d JOIN {_ENDPOINT} e ON e.id = d.endpoint_id "
    "WHERE d.status = %s AND d.next_attempt_at <= %s "
    "AND (d.enqueued_at IS NULL OR d.enqueued_at <= %s) AND e.is_active "
    "ORDER BY d.next_attempt_at, d.id LIMIT %s FOR UPDATE OF d SKIP LOCKED) RETURNING id"
)


def deliveries_claim(*, now: datetime, lost_before: datetime | None, limit: int) -> list[int]:
    """Mark as sent now, and return, up to `limit` pending deliveries that are due, whose
    endpoint is active, and that were never sent or (`lost_before`) whose task was sent before
    then and presumably lost. The dispatcher and the sweeper both claim this way; two claimers
    never get the same row (SKIP LOCKED)."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [now, DeliveryStatus.PENDING.value, now, lost_before, limit])
        return sorted(row[0] for row in cursor.fetchall())


def retry_window_end(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.CALLBACK_RETRY_WINDOW_SECONDS)


def outbox_write(
    *,
    subscription: Subscription,
    person: Person,
    event_type: EventType,
    event_date: datetime,
    contact_id: int | None = None,
    offer: RealtimeOffer | None = None,
    endpoint_ids: list[int] | None = None,
    dispatched: bool = False,
) -> list[CallbackDelivery]:
    """Write the event's deliveries; their tasks are enqueued once the transaction commits.

    Call it inside the transaction that changes the subscription: the rows commit or vanish
    with it, so no event exists without its callbacks, and no callback without its event.
    `endpoint_ids`: the matching endpoints when the caller knows them (the intake's cache).
    `dispatched`: the rows are left unsent for the workers' outbox dispatcher, woken by a NOTIFY
    at COMMIT (the intake: nothing published from its request), instead of published after it.
    """
    if endpoint_ids is None:
        endpoint_ids = [
            e.pk for e in endpoints_for(campaign_id=subscription.campaign_id, event_type=event_type)
        ]
    if not endpoint_ids:
        return []
    payload = subscription_payload(
        subscription, person, include_opt_out=event_type == EventType.SUBSCRIPTION_REMOVED
    )
    now = timezone.now()
    event_id = offer.event_id if offer is not None else uuid.uuid4()
    rows = []
    for endpoint_id in endpoint_ids:
        row = CallbackDelivery(
            endpoint_id=endpoint_id,
            subscription=subscription,
            event_id=event_id,
            event_type=event_type,
            event_date=event_date,
            payload=payload,
            contact_id=contact_id,
            next_attempt_at=now,
            retry_until=retry_window_end(now),
            enqueued_at=None if dispatched else now,
        )
        if offer is not None and offer.endpoint_id == endpoint_id:
            offer.apply_to(row)
        rows.append(row)
    CallbackDelivery.objects.bulk_create(rows)
    if dispatched:
        deliveries_announce()
        return rows
    due = [row.pk for row in rows if row.enqueued_at is not None]
    if due:
        transaction.on_commit(partial(deliveries_enqueue, due))
    return rows


def deliveries_enqueue(delivery_ids: Iterable[int]) -> int:
    """Send the deliveries to the broker, CALLBACK_TASK_BATCH ids per task; returns how many
    reached it.

    A broker outage must not fail the request that committed the rows: the rows stay due and
    the beat sweeper sends them again (so this never raises for broker trouble).
    """
    from subscriptions.tasks import callbacks_deliver

    ids = list(delivery_ids)
    size = max(1, settings.CALLBACK_TASK_BATCH)
    sent = 0
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        try:
            callbacks_deliver.apply_async((chunk,), retry=False)
        except Exception:  # kombu raises many kinds; the sweeper recovers all of them
            logger.warning(
                "callbacks: broker unavailable, %d deliveries left for the sweeper",
                len(ids) - sent,
                exc_info=True,
            )
            _mark_not_enqueued(ids[start:])
            break
        sent += len(chunk)
    return sent


def _mark_not_enqueued(delivery_ids: list[int]) -> None:
    # Due now and never sent: the next sweep picks them up without waiting for the lost-task
    # grace period.
    try:
        CallbackDelivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.PENDING).update(
            enqueued_at=None
        )
    except Exception:
        logger.warning("callbacks: could not mark deliveries as not enqueued", exc_info=True)
