"""The intake pipeline: authenticate, validate, de-duplicate, scrub, price, store, log.

One short transaction writes the contact and its event; everything slow happens after commit.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from campaigns.fields import CONTROL_KEYS, FieldSpec
from campaigns.models import Campaign
from contactsource.models import PublishState
from contactsource.tokens import token_matches
from finance.models import Cap
from finance.services import CapExceeded, caps_take, ledger_record_intake
from ingest import errors
from ingest.admission import (
    caps_for,
    caps_peek,
    caps_report,
    duplicate_check,
    duplicate_check_locked,
    is_scrubbed,
    limited_error,
)
from ingest.errors import IntakeError
from ingest.eventlog import provided_for_log, unauthenticated_summary
from ingest.fieldspecs import campaign_field_specs, fields_digest_annotation
from ingest.idempotency import (
    IDEMPOTENCY_TTL,
    body_hash,
    idempotency_key_check,
    idempotency_key_kept,
    idempotent_original,
    original_matches,
)
from ingest.models import Contact, IntakeEvent, IntakeStatus
from ingest.normalize import normalize_fields
from ingest.parsing import check_field_count, clean_fields, is_truthy
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.responses import outcome_body
from ingest.throttle import auth_refused
from sources.models import Source, SourceCampaign
from subscriptions.services import PersonData, RealtimeOffer, contact_subscribe, realtime_offer

logger = logging.getLogger(__name__)

CONTACT_COLUMNS = frozenset(
    f.name for f in Contact._meta.concrete_fields if f.name not in {"id", "custom"}
)
_SOURCE_REFUSALS = {
    PublishState.UNPUBLISHED: errors.SOURCE_UNPUBLISHED,
    PublishState.PENDING: errors.SOURCE_OUTSIDE_WINDOW,
    PublishState.EXPIRED: errors.SOURCE_OUTSIDE_WINDOW,
}
_CAMPAIGN_REFUSALS = {
    PublishState.UNPUBLISHED: errors.CAMPAIGN_UNPUBLISHED,
    PublishState.PENDING: errors.CAMPAIGN_OUTSIDE_WINDOW,
    PublishState.EXPIRED: errors.CAMPAIGN_OUTSIDE_WINDOW,
}


def _as_id(ref: str) -> int | None:
    return int(ref) if ref.isdigit() and len(ref) < 19 else None


def source_token_valid(source: Source, token: str, now: Any) -> bool:
    if token_matches(token, source.token_hash):
        return True
    grace = source.previous_token_valid_until
    return bool(grace and now < grace and token_matches(token, source.previous_token_hash))


def _authenticate(req: IntakeRequest, outcome: IntakeOutcome) -> None:
    """The anchor's check order: source, its publish state, token, whitelist, campaign."""
    source_id, campaign_id = _as_id(req.source_ref), _as_id(req.campaign_ref)
    if source_id is None:
        raise auth_refused(req, errors.UNKNOWN_SOURCE)
    entry = None
    if campaign_id is not None:
        # One query on the happy path: the entry with its source and campaign.
        entry = (
            SourceCampaign.objects.select_related("source", "campaign")
            .annotate(**fields_digest_annotation())
            .filter(source_id=source_id, campaign_id=campaign_id)
            .first()
        )
    source = entry.source if entry else Source.objects.filter(pk=source_id).first()
    if source is None:
        raise auth_refused(req, errors.UNKNOWN_SOURCE)
    outcome.source = source
    state = source.publish_state(req.received_at)
    if state != PublishState.PUBLISHED:
        raise IntakeError(_SOURCE_REFUSALS[state])
    if not source_token_valid(source, req.token or "", req.received_at):
        raise auth_refused(req, errors.BAD_TOKEN, source_id=source.pk)
    outcome.authenticated = True
    if req.verbose_key is not None:
        if not source.verbose_key or not hmac.compare_digest(
            req.verbose_key.encode(), source.verbose_key.encode()
        ):
            raise auth_refused(req, errors.BAD_VERBOSE_KEY, source_id=source.pk)
        outcome.verbose = True
    if entry is not None and entry.is_active:
        outcome.entry = entry
        campaign: Campaign | None = entry.campaign
    elif source.internal and campaign_id is not None:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
    else:
        raise IntakeError(errors.NOT_WHITELISTED)
    if campaign is None:
        raise IntakeError(errors.UNKNOWN_CAMPAIGN)
    outcome.campaign = campaign
    state = campaign.publish_state(req.received_at)
    if state != PublishState.PUBLISHED:
        raise IntakeError(_CAMPAIGN_REFUSALS[state])


def _read_fields(
    fields: dict[str, Any],
    outcome: IntakeOutcome,
    soft: dict[str, str],
    specs: dict[str, FieldSpec] | None = None,
) -> dict[str, Any]:
    """Normalise against the campaign's fields; 422 on required failures, 400 if nothing usable."""
    assert outcome.campaign is not None and outcome.source is not None
    campaign, source = outcome.campaign, outcome.source
    if specs is None:
        digest = getattr(outcome.entry, "fields_digest", None)
        specs = campaign_field_specs(campaign, digest)
    if source.utm_source:
        fields["utm_source"] = source.utm_source
    result = normalize_fields(
        fields, specs, phone_region=campaign.phone_region, timezone=campaign.timezone
    )
    soft.update(result.soft_errors)
    outcome.stored = dict(sorted(result.values.items()))
    if result.required_errors:
        raise IntakeError(errors.REQUIRED_FIELDS, errors={**soft, **result.required_errors})
    if not any(not specs[key].tracking for key in result.values):
        raise IntakeError(
            errors.NOTHING_USABLE,
            errors={**soft, errors.NOTHING_USABLE.key: errors.NOTHING_USABLE.message},
        )
    return result.values


def identity_of(values: dict[str, Any]) -> str:
    parts = [str(values.get(k) or "") for k in ("email", "phone", "mobile")]
    joined = "|".join(parts).strip().lower()
    return "" if joined == "||" else joined


def identity_hash(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8")).hexdigest() if identity else ""


def _contact_build(
    outcome: IntakeOutcome, values: dict[str, Any], id_hash: str, req: IntakeRequest
) -> Contact:
    assert outcome.source is not None and outcome.campaign is not None
    columns = {k: v for k, v in values.items() if k in CONTACT_COLUMNS}
    custom = {k: v for k, v in values.items() if k not in CONTACT_COLUMNS}
    return Contact(
        source=outcome.source,
        campaign=outcome.campaign,
        status=outcome.status,
        identity_hash=id_hash,
        custom=custom,
        created_at=req.received_at,
        **columns,
    )


def event_build(req: IntakeRequest, outcome: IntakeOutcome) -> IntakeEvent:
    stored = outcome.stored or {}
    key = idempotency_key_kept(req, outcome)
    return IntakeEvent(
        request_id=req.request_id,
        source=outcome.source,
        campaign=outcome.campaign,
        requested_source_id=req.source_ref[:32],
        requested_campaign_id=req.campaign_ref[:32],
        contact_id=outcome.contact_id,
        status=outcome.status,
        http_status=outcome.http_status,
        cost=outcome.cost,
        revenue=outcome.revenue,
        errors=(outcome.errors if outcome.log_errors is None else outcome.log_errors) or None,
        fields_provided=provided_for_log(outcome.provided),
        fields_stored=outcome.stored,
        email=str(stored.get("email") or "")[:320],
        phone=str(stored.get("phone") or stored.get("mobile") or "")[:32],
        duration=time.perf_counter() - req.started,
        client_ip=req.client_ip,
        is_test=outcome.test,
        batch_index=req.batch_index,
        idempotency_key=key,
        idempotency_fingerprint=body_hash(req) if key else "",
        replay_of_id=outcome.replay_of_id,
        response=_body_to_store(req, outcome) if key else None,
        created_at=req.received_at,
    )


def _body_to_store(req: IntakeRequest, outcome: IntakeOutcome) -> dict[str, Any]:
    if outcome.stored_body is None:
        outcome.stored_body = outcome_body(outcome, started=req.started)
    return outcome.stored_body


def event_create(req: IntakeRequest, outcome: IntakeOutcome) -> IntakeEvent:
    event = event_build(req, outcome)
    event.save(force_insert=True)
    outcome.event_id = event.pk
    return event


# The buyer keeps scrubbed contacts too, so both create a subscription and its callbacks.
SUBSCRIBING = frozenset({IntakeStatus.ACCEPTED, IntakeStatus.SCRUBBED})
REALTIME_REJECTED = "The contact was not accepted by the buyer in real time."


def _offer_real_time(
    req: IntakeRequest, outcome: IntakeOutcome, values: dict[str, Any]
) -> RealtimeOffer | None:
    """A real-time entry: the campaign's primary CRM decides now, before the transaction (a
    slow buyer must not hold its locks). No answer (timeout) accepts; any non-2xx rejects."""
    entry = outcome.entry
    if entry is None or not entry.real_time:
        return None
    offer = realtime_offer(
        campaign_id=entry.campaign_id,
        source_id=entry.source_id,
        person=PersonData.from_contact_values(values),
        at=req.received_at,
    )
    if not offer.accepted:
        outcome.status = IntakeStatus.REJECTED
        outcome.cost = outcome.revenue = None
        outcome.errors["realtime"] = REALTIME_REJECTED
    return offer


def _subscribe(req: IntakeRequest, contact: Contact, offer: RealtimeOffer | None) -> None:
    person = PersonData.from_contact_values(
        {
            "mobile": contact.mobile,
            "phone": contact.phone,
            "email": contact.email,
            "firstname": contact.firstname,
            "lastname": contact.lastname,
        }
    )
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


def _prepare(req: IntakeRequest, outcome: IntakeOutcome, soft: dict[str, str]) -> dict[str, Any]:
    # A single post's body was counted when it was parsed; a batch item is counted here.
    check_field_count(req.payload)
    fields, problems = clean_fields(req.payload)
    soft.update(problems)
    outcome.test = req.test or is_truthy(fields.get("test"))
    # A token in the body wins over the query string and headers (the anchor's order).
    req.token = find_token_in_fields(fields) or req.token or ""
    for key in CONTROL_KEYS:
        fields.pop(key, None)
    outcome.provided = dict(fields)
    if not fields and not problems:
        raise IntakeError(errors.EMPTY)
    if not req.token:
        raise auth_refused(req, errors.NO_TOKEN)
    return fields


def find_token_in_fields(fields: dict[str, Any]) -> str:
    token = fields.get("token")
    if isinstance(token, list):
        token = token[-1] if token else ""
    return token if isinstance(token, str) else ""


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
    values = _read_fields(fields, outcome, soft, specs)
    identity = identity_of(values)
    id_hash = identity_hash(identity)
    entry = outcome.entry
    assert outcome.campaign is not None
    # No identity: the request id seeds the bucket (nothing to re-post, so nothing to game).
    scrubbed = is_scrubbed(identity or str(req.request_id), entry.scrub_rate if entry else 0)
    outcome.status = IntakeStatus.SCRUBBED if scrubbed else IntakeStatus.ACCEPTED
    outcome.http_status = 200
    price = entry.cost if entry else Decimal("0")
    if not scrubbed:
        outcome.cost = price
        outcome.revenue = outcome.campaign.revenue
    outcome.errors = dict(soft)
    caps = caps_for(outcome, values)
    if outcome.test or (caps and (scrubbed or (entry and entry.real_time))):
        # Checked without taking: a test stores nothing; a scrubbed contact is not counted but
        # is refused like any other while a cap is full (so a source cannot tell a scrub from a
        # pass); a real-time buyer is not asked for a contact we could not take.
        duplicate_check(outcome, id_hash, req.received_at)
        caps_peek(outcome, caps, req.received_at, price)
    if outcome.test:
        event_create(req, outcome)
        return
    offer = _offer_real_time(req, outcome, values)
    contact = _contact_build(outcome, values, id_hash, req)
    _store(req, outcome, contact, offer, caps=caps, price=price)


def intake_contact(*, req: IntakeRequest) -> IntakeOutcome:
    """Run one intake; always leaves exactly one IntakeEvent behind (or raises for a 500)."""
    outcome = IntakeOutcome(request_id=req.request_id)
    soft: dict[str, str] = {}
    try:
        try:
            _run(req, outcome, soft)
        except IntakeError as exc:
            outcome.errors = dict(soft)
            outcome.refuse(exc)
            outcome.cost = outcome.revenue = None
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
    outcome = IntakeOutcome(
        request_id=req.request_id,
        source=batch.source,
        campaign=batch.campaign,
        entry=batch.entry,
        authenticated=True,
        verbose=batch.verbose,
    )
    soft: dict[str, str] = {}
    try:
        fields = _prepare(req, outcome, soft)
        _run_authenticated(req, outcome, soft, fields, specs)
    except IntakeError as exc:
        outcome.errors = dict(soft)
        outcome.refuse(exc)
        outcome.cost = outcome.revenue = None
        event_create(req, outcome)
    return outcome
