"""The IntakeEvent every request writes, whatever its outcome."""

from __future__ import annotations

import logging
import time
from typing import Any

from ingest.eventlog import provided_for_log
from ingest.idempotency import (
    body_hash,
    idempotency_key_kept,
)
from ingest.models import IntakeEvent
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.responses import outcome_body

logger = logging.getLogger(__name__)


def event_values(req: IntakeRequest, outcome: IntakeOutcome) -> dict[str, Any]:
    """The request's IntakeEvent row (attname: value): `event_build` makes the instance, a
    batch writes the values to COPY as they are (ingest.batch_store)."""
    stored = outcome.stored or {}
    key = idempotency_key_kept(req, outcome)
    return {
        "request_id": req.request_id,
        "source_id": outcome.source.pk if outcome.source is not None else None,
        "campaign_id": outcome.campaign.pk if outcome.campaign is not None else None,
        "requested_source_id": req.source_ref[:32],
        "requested_campaign_id": req.campaign_ref[:32],
        "contact_id": outcome.contact_id,
        "status": outcome.status,
        "http_status": outcome.http_status,
        "cost": outcome.cost,
        "revenue": outcome.revenue,
        "errors": (outcome.errors if outcome.log_errors is None else outcome.log_errors) or None,
        "fields_provided": provided_for_log(outcome.provided),
        "fields_stored": outcome.stored,
        "email": str(stored.get("email") or "")[:320],
        "phone": str(stored.get("phone") or stored.get("mobile") or "")[:32],
        "duration": time.perf_counter() - req.started,
        "client_ip": req.client_ip,
        "is_test": outcome.test,
        "batch_index": req.batch_index,
        "idempotency_key": key,
        "idempotency_fingerprint": body_hash(req) if key else "",
        "replay_of_id": outcome.replay_of_id,
        "response": _body_to_store(req, outcome) if key else None,
        "created_at": req.received_at,
    }


def event_build(req: IntakeRequest, outcome: IntakeOutcome) -> IntakeEvent:
    return IntakeEvent(**event_values(req, outcome))


def _body_to_store(req: IntakeRequest, outcome: IntakeOutcome) -> dict[str, Any]:
    if outcome.stored_body is None:
        outcome.stored_body = outcome_body(outcome, started=req.started)
    return outcome.stored_body


def event_create(req: IntakeRequest, outcome: IntakeOutcome) -> IntakeEvent:
    event = event_build(req, outcome)
    event.save(force_insert=True)
    outcome.event_id = event.pk
    return event
