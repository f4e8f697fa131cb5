"""The entry points: a single post, a batch's checks and a batch item through the same steps."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError

from campaigns.fields import FieldSpec
from ingest import errors
from ingest.admission import admission_peek, caps_for
from ingest.errors import IntakeError
from ingest.eventlog import unauthenticated_summary
from ingest.idempotency import (
    IDEMPOTENCY_TTL,
    body_hash,
    idempotency_key_check,
    idempotent_original,
    original_matches,
)
from ingest.models import IntakeStatus
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.services.checks import _authenticate, _prepare
from ingest.services.decide import (
    ContactRow,
    Item,
    _offer_real_time,
    item_fields_read,
    refuse,
)
from ingest.services.events import event_create
from ingest.services.store import _store
from ingest.throttle import auth_refused

logger = logging.getLogger(__name__)


def _run(req: IntakeRequest, outcome: IntakeOutcome, soft: dict[str, str]) -> None:
    fields = _prepare(req, outcome, soft)
    idempotency_key_check(req)
    _authenticate(req, outcome)
    if req.idempotency_key and _replayed(req, outcome):
        return
    _run_authenticated(req, outcome, soft, fields)


def _replayed(req: IntakeRequest, outcome: IntakeOutcome) -> bool:
    """Answer a retry with the first answer (logging one replay event), if there was one."""
    assert outcome.source is not None and outcome.campaign is not None
    body_hash(req)  # hashed here, outside the store's transaction
    original = idempotent_original(
        source_id=outcome.source.pk,
        campaign_id=outcome.campaign.pk,
        is_test=outcome.test,
        key=req.idempotency_key,
    )
    if original is None:
        return False
    if original.created_at < req.received_at - IDEMPOTENCY_TTL:
        # Expired: a new request, as if it had no key (the old answer keeps the key).
        req.idempotency_key = ""
        return False
    if not original_matches(req, original):
        # Not a retry: a new contact under a used key. Refused, and the refusal binds nothing.
        req.idempotency_key = ""
        raise IntakeError(errors.IDEMPOTENCY_KEY_REUSED)
    outcome.status = original.status
    outcome.http_status = original.http_status
    outcome.contact_id = original.contact_id
    outcome.errors = dict(original.errors or {})
    outcome.test = original.is_test
    outcome.replay_of_id = original.pk
    outcome.stored_body = original.response
    outcome.headers["Idempotent-Replayed"] = "true"
    event_create(req, outcome)
    return True


def _run_authenticated(
    req: IntakeRequest,
    outcome: IntakeOutcome,
    soft: dict[str, str],
    fields: dict[str, Any],
    specs: dict[str, FieldSpec] | None = None,
) -> None:
    """Everything after authentication; a batch item starts here (`specs` loaded once per batch)."""
    item = Item(req=req, outcome=outcome, soft=soft)  # a list of one
    item_fields_read(item, fields, specs)
    assert item.values is not None
    values, id_hash, price = item.values, item.id_hash, item.price
    entry = outcome.entry
    scrubbed = outcome.status == IntakeStatus.SCRUBBED
    caps = caps_for(outcome, values)
    if outcome.test or (caps and (scrubbed or (entry and entry.real_time))):
        # Checked without taking: a test stores nothing; a scrubbed contact is not counted but
        # is refused like any other while a cap is full (so a source cannot tell a scrub from a
        # pass); a real-time buyer is not asked for a contact we could not take.
        admission_peek(outcome, id_hash, caps, req.received_at, price)
    if outcome.test:
        event_create(req, outcome)
        return
    offer = _offer_real_time(req, outcome, values)
    contact = ContactRow.build(outcome, values, id_hash, req)
    _store(req, outcome, contact, offer, caps=caps, price=price)


def intake_contact(*, req: IntakeRequest) -> IntakeOutcome:
    """Run one intake; always leaves exactly one IntakeEvent behind (or raises for a 500)."""
    outcome = IntakeOutcome(request_id=req.request_id)
    soft: dict[str, str] = {}
    try:
        try:
            _run(req, outcome, soft)
        except IntakeError as exc:
            refuse(outcome, exc, soft)
            if not outcome.authenticated:
                # A stranger's post: a summary of its field names, no values (ingest.eventlog).
                outcome.provided = unauthenticated_summary(outcome.provided)
                outcome.log_errors = dict(exc.errors)
            event_create(req, outcome)
    except IntegrityError as exc:
        return _replay_after_race(req, outcome, exc)
    return outcome


def _replay_after_race(
    req: IntakeRequest, lost: IntakeOutcome, exc: IntegrityError
) -> IntakeOutcome:
    """Two posts with one Idempotency-Key ran at once and the other stored its answer first
    (the unique constraint refused ours, and our transaction rolled back): replay it."""
    if not req.idempotency_key or lost.source is None:
        raise exc
    outcome = IntakeOutcome(
        request_id=req.request_id,
        source=lost.source,
        campaign=lost.campaign,
        entry=lost.entry,
        authenticated=lost.authenticated,
        verbose=lost.verbose,
        provided=lost.provided,
        test=lost.test,
    )
    try:
        if not _replayed(req, outcome):
            raise exc
    except IntakeError as refusal:  # the other post's body was not this one
        outcome.refuse(refusal)
        event_create(req, outcome)
    return outcome


def intake_authenticate(*, req: IntakeRequest, outcome: IntakeOutcome) -> None:
    """A batch's checks, run once: token, source, whitelist, campaign (raises IntakeError)."""
    if not req.token:
        raise auth_refused(req, errors.NO_TOKEN)
    _authenticate(req, outcome)


def intake_batch_item(
    *, req: IntakeRequest, batch: IntakeOutcome, specs: dict[str, FieldSpec]
) -> IntakeOutcome:
    """One item of an authenticated batch: the single post's pipeline after authentication."""
    outcome = batch.item(req)
    soft: dict[str, str] = {}
    try:
        fields = _prepare(req, outcome, soft)
        _run_authenticated(req, outcome, soft, fields, specs)
    except IntakeError as exc:
        refuse(outcome, exc, soft)
        event_create(req, outcome)
    return outcome
