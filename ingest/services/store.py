"""One short transaction: contact, money, person, subscription, callbacks, cap counters, event."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import DatabaseError, connection, transaction

from finance.capstate import CapState
from finance.models import Cap
from finance.services import (
    CapExceeded,
    caps_take_prepare,
    caps_taken,
)
from ingest.admission import (
    caps_peek,
    caps_report,
    duplicate_check,
    intake_locks,
    limited_error,
)
from ingest.hotcache import endpoints_cached
from ingest.models import IntakeStatus
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.services.decide import ContactRow, person_of_contact
from ingest.services.events import event_create, event_values
from ingest.services.write import (
    DuplicateGuard,
    Then,
    WriteRefused,
    contact_write,
    counters_take,
)
from subscriptions.services import RealtimeOffer, contact_subscribe
from subscriptions.services.newsubscriber import NewSubscriber, new_subscriber_plan

logger = logging.getLogger(__name__)


# The buyer keeps scrubbed contacts too, so both create a subscription and its callbacks.
SUBSCRIBING = frozenset({IntakeStatus.ACCEPTED, IntakeStatus.SCRUBBED})


def _subscribe(
    req: IntakeRequest,
    contact: ContactRow,
    offer: RealtimeOffer | None,
    endpoint_ids: list[int] | None = None,
) -> None:
    person = person_of_contact(contact)
    contact_subscribe(
        contact_id=contact.pk,
        campaign_id=contact.campaign_id,
        source_id=contact.source_id,
        person=person,
        at=req.received_at,
        offer=offer,
        endpoint_ids=endpoint_ids,
    )


def _endpoint_ids(outcome: IntakeOutcome, contact: ContactRow) -> list[int] | None:
    # The entry query's digest says whether the per-process list is current (ingest.hotcache).
    digest = getattr(outcome.entry, "endpoints_digest", None)
    if digest is None:
        return None
    return endpoints_cached(campaign_id=contact.campaign_id, digest=digest)


def _store(
    req: IntakeRequest,
    outcome: IntakeOutcome,
    contact: ContactRow,
    offer: RealtimeOffer | None = None,
    *,
    caps: list[Cap] | None = None,
    price: Decimal = Decimal("0"),
) -> None:
    """Contact, money, event, person, subscription and callback outbox in one short transaction
    (nothing slow inside: callbacks are sent by workers once it commits).

    The common case goes in one go: one pipeline carries BEGIN, the identity's advisory lock,
    the one write statement (contact unless a duplicate, ledger rows, a first-time person with
    its subscription and outbox rows, the event: ingest.services.write), the caps' counters and
    COMMIT, so the whole transaction is one round trip and the counters' rows are locked for
    the server's time only. The write refuses (WriteRefused) when the identity is a duplicate
    or the person has to be merged: nothing is stored, and the careful path below answers.
    """
    if _one_go(req, contact):
        try:
            _store_in(req, outcome, contact, offer, caps=caps, price=price, one_go=True)
            return
        except WriteRefused as refused:
            if refused.reason == "duplicate":
                # Seen within the window: the check's own answer (409), read after the rollback.
                duplicate_check(outcome, contact.identity_hash, req.received_at)
            # A person to merge (or a duplicate gone since): the careful path decides.
    _store_in(req, outcome, contact, offer, caps=caps, price=price, one_go=False)


class MergeShare:
    """How many of this process's recent subscribing posts found a person to merge (an
    exponential average over about the last 20).

    A merge stops the one-go write: its work is rolled back and done again by the careful path,
    two round trips and one write more than going carefully at once. One go saves a round trip
    and about a tenth of an accepted post's CPU, and costs about four times that on a merge,
    so it pays while fewer than about one post in five merges; above `LIMIT` the posts go
    carefully, and they keep measuring the share."""

    LIMIT = 0.2
    WEIGHT = 0.05

    def __init__(self) -> None:
        self.value = 0.0

    def seen(self, *, merged: bool) -> None:
        # A lost update between request threads only blurs the average.
        self.value += self.WEIGHT * (float(merged) - self.value)

    @property
    def high(self) -> bool:
        return self.value > self.LIMIT


MERGES = MergeShare()


def _one_go(req: IntakeRequest, contact: ContactRow) -> bool:
    """Can the whole transaction go in one pipeline? Only as the outermost transaction (a
    real-time batch item runs in the batch's, and tests may wrap one around it), when the
    event rides with the contact (an idempotent post's stored answer names its caps: its event
    comes after the counters), and while merges are rare. `_store_in` also goes carefully
    when the write does not subscribe the person itself (no plan: `_new_subscriber`)."""
    if connection.in_atomic_block or req.idempotency_key:
        return False
    return contact.status not in SUBSCRIBING or not MERGES.high


def _store_in(
    req: IntakeRequest,
    outcome: IntakeOutcome,
    contact: ContactRow,
    offer: RealtimeOffer | None,
    *,
    caps: list[Cap] | None,
    price: Decimal,
    one_go: bool,
) -> None:
    """One attempt: in one go (`_store`), or carefully: the lock and the write in one
    pipeline; a person to merge takes contact_subscribe after it; an idempotent post's event
    comes after the counters (its stored answer names the contact and its caps). The caps'
    counters come last: the rolling caps' lock and the conditional upsert (a full cap:
    CapExceeded rolls it all back), with the COMMIT in the same pipeline when this is the
    outermost transaction."""
    accepted = contact.status == IntakeStatus.ACCEPTED
    outermost = not connection.in_atomic_block
    lost_after_commit = False
    try:
        with transaction.atomic():
            states = _states(req, outcome, caps) if caps and accepted else []
            locks = intake_locks(outcome, contact.identity_hash, req.received_at)
            guard = (
                DuplicateGuard(
                    source_id=contact.source_id,
                    campaign_id=contact.campaign_id,
                    identity_hash=contact.identity_hash,
                    since=locks.since,
                )
                if locks.since is not None
                else None
            )
            event = None if req.idempotency_key else event_values(req, outcome)
            money = None
            if accepted:
                assert outcome.cost is not None and outcome.revenue is not None
                money = (outcome.cost, outcome.revenue)
            plan = _new_subscriber(req, outcome, contact, offer)
            # A person the write does not subscribe takes contact_subscribe after it: carefully.
            one_go = one_go and (plan is not None or contact.status not in SUBSCRIBING)
            written = contact_write(
                locks=locks,
                contact=contact,
                guard=guard,
                money=money,
                event=event,
                subscriber=plan,
                then=Then(states=states, commit=outermost) if one_go else None,
            )
            lost_after_commit = written.committed_then_lost
            if written.contact_id is None:
                # Seen within the window since the lock: the check's own answer (409).
                duplicate_check(outcome, contact.identity_hash, req.received_at)
                raise AssertionError("duplicate row vanished under its lock")
            outcome.contact_id = contact.pk
            taken = written.taken
            if contact.status in SUBSCRIBING and plan is not None:
                MERGES.seen(merged=not written.subscribed)
            if contact.status in SUBSCRIBING and not written.subscribed:
                # Someone shares the mobile phone or email: merge (contact_subscribe decides).
                _subscribe(req, contact, offer, _endpoint_ids(outcome, contact))
            if states and taken is None:
                taken = counters_take(states=states, commit=outermost and event is not None)
            if taken is not None:
                lost_after_commit = taken.committed_then_lost
                caps_report(outcome, caps_taken(states, taken.counters, taken.buckets))
            if event is None:
                event_create(req, outcome)
            else:
                outcome.event_id = written.event_id
    except DatabaseError:
        if not lost_after_commit:
            raise
        # The COMMIT answered and the server then ended the session: the contact is stored,
        # and its answer says so. Django, ending a transaction that was already over on a
        # connection that was gone, closed the connection; the next request opens another.
        logger.warning(
            "intake: connection lost after COMMIT", extra={"request_id": str(req.request_id)}
        )
    except CapExceeded:
        # Rolled back: no contact, money, subscription or count. Say which cap and when.
        outcome.contact_id = None
        _caps_refuse(req, outcome, caps or [], price)


def _new_subscriber(
    req: IntakeRequest, outcome: IntakeOutcome, contact: ContactRow, offer: RealtimeOffer | None
) -> NewSubscriber | None:
    """A first-time person's rows, written by the contact's own statement (no real-time
    offer: its delivery row carries the offer's attempt, so it takes contact_subscribe)."""
    if contact.status not in SUBSCRIBING or offer is not None:
        return None
    endpoint_ids = _endpoint_ids(outcome, contact)
    if endpoint_ids is None:
        return None
    return new_subscriber_plan(
        person=person_of_contact(contact),
        campaign_id=contact.campaign_id,
        source_id=contact.source_id,
        at=req.received_at,
        endpoint_ids=endpoint_ids,
    )


def _states(req: IntakeRequest, outcome: IntakeOutcome, caps: list[Cap]) -> list[CapState]:
    assert outcome.campaign is not None and outcome.cost is not None
    return caps_take_prepare(
        caps=caps, at=req.received_at, cost=outcome.cost, timezone=outcome.campaign.timezone
    )


def _caps_refuse(
    req: IntakeRequest, outcome: IntakeOutcome, caps: list[Cap], price: Decimal
) -> None:
    assert outcome.campaign is not None
    caps_peek(outcome, caps, req.received_at, price)
    # Another intake freed the slot between our refusal and this look: still a 429, retry now.
    raise limited_error([])
