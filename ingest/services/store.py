"""One short transaction: contact, money, person, subscription, callbacks, cap counters, event."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction

from finance.models import Cap
from finance.services import CapExceeded, caps_take, ledger_record_intake
from ingest.admission import (
    caps_peek,
    caps_report,
    duplicate_check_locked,
    limited_error,
)
from ingest.models import Contact, IntakeStatus
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.services.decide import person_of_contact
from ingest.services.events import event_create
from subscriptions.services import RealtimeOffer, contact_subscribe

logger = logging.getLogger(__name__)


# The buyer keeps scrubbed contacts too, so both create a subscription and its callbacks.
SUBSCRIBING = frozenset({IntakeStatus.ACCEPTED, IntakeStatus.SCRUBBED})


def _subscribe(req: IntakeRequest, contact: Contact, offer: RealtimeOffer | None) -> None:
    person = person_of_contact(contact)
    contact_subscribe(
        contact_id=contact.pk,
        campaign_id=contact.campaign_id,
        source_id=contact.source_id,
        person=person,
        at=req.received_at,
        offer=offer,
    )


def _ledger_record(req: IntakeRequest, outcome: IntakeOutcome, contact: Contact) -> None:
    assert outcome.cost is not None and outcome.revenue is not None
    ledger_record_intake(
        contact_id=contact.pk,
        source_id=contact.source_id,
        campaign_id=contact.campaign_id,
        utm_source=contact.utm_source,
        cost=outcome.cost,
        revenue=outcome.revenue,
        at=req.received_at,
    )


def _caps_take(req: IntakeRequest, outcome: IntakeOutcome, caps: list[Cap]) -> None:
    assert outcome.campaign is not None and outcome.cost is not None
    states = caps_take(
        caps=caps, at=req.received_at, cost=outcome.cost, timezone=outcome.campaign.timezone
    )
    caps_report(outcome, states)


def _store(
    req: IntakeRequest,
    outcome: IntakeOutcome,
    contact: Contact,
    offer: RealtimeOffer | None = None,
    *,
    caps: list[Cap] | None = None,
    price: Decimal = Decimal("0"),
) -> None:
    """Contact, money, event, person, subscription and callback outbox in one short transaction
    (nothing slow inside: callbacks are sent by workers once it commits).

    Order matters: the duplicate lock first; the caps' counters last but the event, because
    their row locks are held until commit and every intake of a hot cap queues on them.
    """
    accepted = contact.status == IntakeStatus.ACCEPTED
    try:
        with transaction.atomic():
            duplicate_check_locked(outcome, contact.identity_hash, req.received_at)
            contact.save(force_insert=True)
            outcome.contact_id = contact.pk
            if accepted:
                _ledger_record(req, outcome, contact)
            if contact.status in SUBSCRIBING:
                _subscribe(req, contact, offer)
            if caps and accepted:
                _caps_take(req, outcome, caps)
            event_create(req, outcome)
    except CapExceeded:
        # Rolled back: no contact, money, subscription or count. Say which cap and when.
        outcome.contact_id = None
        _caps_refuse(req, outcome, caps or [], price)


def _caps_refuse(
    req: IntakeRequest, outcome: IntakeOutcome, caps: list[Cap], price: Decimal
) -> None:
    assert outcome.campaign is not None
    caps_peek(outcome, caps, req.received_at, price)
    # Another intake freed the slot between our refusal and this look: still a 429, retry now.
    raise limited_error([])
