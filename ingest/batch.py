"""Batch intake: many contacts in one request, each through the single post's pipeline.

The batch is checked once, as a single post up to the campaign; a refusal there logs one event
and stores nothing. Then items run one after another (so caps and duplicates apply in order,
within the batch too) and each logs its own event, sharing the batch's request id.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from campaigns.fields import field_specs_for
from contactsource.datacopy import replaced
from ingest import errors
from ingest.batch_store import Item, item_read, items_store
from ingest.errors import IntakeError
from ingest.parsing import clean_fields, is_truthy
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.services import (
    event_create,
    find_token_in_fields,
    intake_authenticate,
    intake_batch_item,
)

logger = logging.getLogger(__name__)


@dataclass
class BatchOutcome:
    """`outcome` is the batch as a whole: refused (no items) or authenticated (items follow)."""

    outcome: IntakeOutcome
    items: list[IntakeOutcome] = field(default_factory=list)
    refused: bool = False


def _batch_contacts(req: IntakeRequest, outcome: IntakeOutcome) -> list[Any]:
    """The single post's first checks, on the batch's own keys: empty, size, token."""
    body = req.payload
    contacts = body.get("contacts")
    top, _problems = clean_fields({k: v for k, v in body.items() if k != "contacts"})
    outcome.test = req.test or is_truthy(top.get("test"))
    req.test = outcome.test
    req.token = find_token_in_fields(top) or req.token or ""
    outcome.provided = {"contacts": len(contacts) if isinstance(contacts, list) else None}
    if not body or contacts == []:
        raise IntakeError(errors.EMPTY)
    if not isinstance(contacts, list):
        raise IntakeError(errors.BATCH_SHAPE)
    limit = settings.INTAKE_MAX_BATCH_ITEMS
    if len(contacts) > limit:
        message = errors.BATCH_TOO_MANY.message.format(limit=limit, count=len(contacts))
        raise IntakeError(errors.BATCH_TOO_MANY, message=message)
    return contacts


def _item_refused(req: IntakeRequest, batch: IntakeOutcome, exc: IntakeError) -> IntakeOutcome:
    outcome = IntakeOutcome(
        request_id=req.request_id,
        source=batch.source,
        campaign=batch.campaign,
        authenticated=True,
        test=req.test,
    )
    outcome.refuse(exc)
    event_create(req, outcome)
    return outcome


def _item_run(
    req: IntakeRequest, batch: IntakeOutcome, raw: Any, specs: dict[str, Any]
) -> IntakeOutcome:
    if not isinstance(raw, dict):
        return _item_refused(req, batch, IntakeError(errors.ITEM_NOT_OBJECT))
    try:
        # A savepoint per item: a crash in one item rolls back that item only.
        with transaction.atomic():
            return intake_batch_item(req=req, batch=batch, specs=specs)
    except (OperationalError, InterfaceError):
        raise  # the database is gone: the whole batch answers 503
    except Exception:
        logger.exception(
            "batch item crashed",
            extra={"request_id": str(req.request_id), "batch_index": req.batch_index},
        )
        message = errors.SERVER_ERROR.message.format(request_id=req.request_id)
        return _item_refused(req, batch, IntakeError(errors.SERVER_ERROR, message=message))


def intake_batch(*, req: IntakeRequest) -> BatchOutcome:
    """Run a batch; leaves one event per item, or one for the batch if it is refused whole."""
    outcome = IntakeOutcome(request_id=req.request_id)
    try:
        contacts = _batch_contacts(req, outcome)
        intake_authenticate(req=req, outcome=outcome)
    except IntakeError as exc:
        outcome.refuse(exc)
        event_create(req, outcome)
        return BatchOutcome(outcome=outcome, refused=True)
    assert outcome.campaign is not None
    outcome.http_status = 200
    # Loaded once for the whole batch rather than once per item.
    specs = field_specs_for(outcome.campaign.fields.all())
    requests = [
        replaced(
            req,
            payload=raw if isinstance(raw, dict) else {},
            batch_index=index,
            started=time.perf_counter(),
        )
        for index, raw in enumerate(contacts)
    ]
    if outcome.entry is not None and outcome.entry.real_time:
        # A real-time buyer is asked about each contact in turn: the item-by-item path.
        with transaction.atomic():
            items = [
                _item_run(item_req, outcome, raw, specs)
                for item_req, raw in zip(requests, contacts, strict=True)
            ]
        return BatchOutcome(outcome=outcome, items=items)
    read = [_item_read(r, outcome, raw, specs) for r, raw in zip(requests, contacts, strict=True)]
    return BatchOutcome(outcome=outcome, items=items_store(batch=outcome, items=read))


def _item_read(req: IntakeRequest, batch: IntakeOutcome, raw: Any, specs: dict[str, Any]) -> Item:
    try:
        return item_read(req, batch, raw, specs)
    except Exception:
        logger.exception(
            "batch item crashed",
            extra={"request_id": str(req.request_id), "batch_index": req.batch_index},
        )
        item = Item(req=req, outcome=IntakeOutcome(request_id=req.request_id))
        item.outcome.source, item.outcome.campaign = batch.source, batch.campaign
        item.outcome.authenticated, item.outcome.test = True, req.test
        message = errors.SERVER_ERROR.message.format(request_id=req.request_id)
        item.refuse(IntakeError(errors.SERVER_ERROR, message=message))
        return item
