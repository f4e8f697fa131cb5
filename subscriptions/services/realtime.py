"""Real-time campaigns: the primary endpoint decides a contact synchronously (DESIGN §7).

The offer is made before the intake's transaction (a slow buyer must not hold its locks), with
the body the contact's subscription_added callback will have: the person's id is known (an
existing person's, or one chosen now for the person about to be created) and the event id is
the one the background delivery keeps, so a receiver sees one event, whatever happens next.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from contactsource.webhooks import signed_post
from subscriptions.models import CallbackDelivery, DeliveryStatus, EventType
from subscriptions.payloads import callback_body, subscription_object
from subscriptions.selectors import (
    EVERYONE,
    person_find,
    person_subscription,
    primary_endpoint_for,
)
from subscriptions.services.delivery import backoff_seconds, custom_headers, http_client
from subscriptions.services.subscribing import PersonData


class RealtimeDecision(enum.StrEnum):
    ACCEPTED = "accepted"  # 2xx
    REJECTED = "rejected"  # any other answer
    NO_ANSWER = "no_answer"  # timeout or connection error: accepted, delivery continues
    NO_ENDPOINT = "no_endpoint"  # nobody to ask: accepted as an offline contact


@dataclass
class RealtimeOffer:
    decision: RealtimeDecision
    event_id: uuid.UUID
    person_public_id: uuid.UUID
    person_is_new: bool
    endpoint_id: int | None = None
    attempted_at: datetime | None = None
    status_code: int | None = None
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.decision != RealtimeDecision.REJECTED

    def apply_to(self, row: CallbackDelivery) -> None:
        """The primary endpoint's delivery row already had attempt 1: record it."""
        assert self.attempted_at is not None
        row.attempts = 1
        row.last_attempt_at = self.attempted_at
        row.last_status_code = self.status_code
        row.last_error = self.error[:500]
        row.enqueued_at = None
        if self.decision == RealtimeDecision.ACCEPTED:
            row.status = DeliveryStatus.DELIVERED
            row.delivered_at = self.attempted_at
        else:
            # The worker takes over from attempt 2 when it falls due (the sweeper sends it).
            row.next_attempt_at = self.attempted_at + timedelta(seconds=backoff_seconds(1))


def realtime_offer(
    *, campaign_id: int, source_id: int | None, person: PersonData, at: datetime
) -> RealtimeOffer:
    """One synchronous, signed attempt to the campaign's primary endpoint."""
    event_id = uuid.uuid4()
    existing = person_find(mobile_phone=person.mobile_phone, email=person.email)
    offer = RealtimeOffer(
        decision=RealtimeDecision.NO_ENDPOINT,
        event_id=event_id,
        person_public_id=existing.public_id if existing else uuid.uuid4(),
        person_is_new=existing is None,
    )
    endpoint = primary_endpoint_for(
        campaign_id=campaign_id, event_type=EventType.SUBSCRIPTION_ADDED
    )
    if endpoint is None:
        return offer
    subscription = (
        person_subscription(person=existing, campaign_id=campaign_id, scope=EVERYONE)
        if existing
        else None
    )
    if subscription is not None and subscription.is_active:
        opt_in_date, acquired_by = subscription.opt_in_date, subscription.acquisition_source_id
    else:
        opt_in_date, acquired_by = at, source_id
    payload = subscription_object(
        person_public_id=offer.person_public_id,
        person_external_id=existing.external_id if existing else None,
        campaign_id=campaign_id,
        source_id=acquired_by,
        opt_in_date=opt_in_date,
    )
    now = timezone.now()
    body = callback_body(
        endpoint_id=endpoint.pk,
        event_id=event_id,
        event_type=EventType.SUBSCRIPTION_ADDED,
        event_date=at,
        attempt=1,
        subscription=payload,
    )
    result = signed_post(
        endpoint.url,
        secret=endpoint.secret,
        msg_id=str(event_id),
        timestamp=now,
        body=body,
        headers=custom_headers(endpoint),
        timeout=settings.REALTIME_TIMEOUT,
        client=http_client(),
    )
    offer.endpoint_id = endpoint.pk
    offer.attempted_at = now
    offer.status_code = result.status_code
    offer.error = result.error
    if result.ok:
        offer.decision = RealtimeDecision.ACCEPTED
    elif result.status_code is None:
        offer.decision = RealtimeDecision.NO_ANSWER
    else:
        offer.decision = RealtimeDecision.REJECTED
    return offer
