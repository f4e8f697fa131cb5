"""HTTP for the intake: parse, call the pipeline, answer JSON. Never a 500 for a client error."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from contactsource.gcpause import gc_paused
from ingest import errors
from ingest.batch import BatchOutcome, intake_batch
from ingest.errors import IntakeError
from ingest.parsing import find_token, is_truthy, parse_batch_payload, parse_payload
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.responses import batch_body, json_response, outcome_body
from ingest.services import event_create, intake_contact
from ingest.throttle import intake_blocked

logger = logging.getLogger(__name__)

T = TypeVar("T")


def intake_request_from_http(
    request: HttpRequest, source_id: str, campaign_id: str, *, started: float
) -> IntakeRequest:
    """What the pipeline needs from the HTTP request, apart from the body."""
    verbose = request.headers.get("verbose")
    return IntakeRequest(
        source_ref=source_id,
        campaign_ref=campaign_id,
        payload={},
        received_at=timezone.now(),
        started=started,
        request_id=uuid.uuid4(),
        token=find_token(request, {}),
        test=is_truthy(request.headers.get("X-Test")),
        verbose_key=verbose.strip() if verbose is not None else None,
        # Never cut: a key over the limit is refused (ingest.idempotency).
        idempotency_key=(request.headers.get("Idempotency-Key") or "").strip(),
        client_ip=request.META.get("REMOTE_ADDR") or None,
    )


def _failure(req: IntakeRequest, exc: IntakeError) -> IntakeOutcome:
    outcome = IntakeOutcome(request_id=req.request_id)
    outcome.test = req.test
    outcome.refuse(exc)
    return outcome


def _unexpected(req: IntakeRequest) -> IntakeOutcome:
    """Log the crash server-side; the client gets the request id and no trace."""
    logger.exception("intake crashed", extra={"request_id": str(req.request_id)})
    message = errors.SERVER_ERROR.message.format(request_id=req.request_id)
    outcome = _failure(req, IntakeError(errors.SERVER_ERROR, message=message))
    try:
        event_create(req, outcome)
    except (OperationalError, InterfaceError):
        return _failure(req, IntakeError(errors.UNAVAILABLE, headers={"Retry-After": "5"}))
    return outcome


def _run_guarded(
    req: IntakeRequest,
    parse: Callable[[], dict[str, Any]],
    run: Callable[[IntakeRequest], T],
    what: str,
) -> T | IntakeOutcome:
    """Parse the body, then run: a body refused logs its event; a database that is unreachable
    answers 503 (nothing was stored, and no event can be written); anything else a JSON 500."""
    try:
        try:
            # An address over its failed-authentication limit: 429 before any check.
            blocked = intake_blocked(req)
            if blocked is not None:
                raise blocked
            req.payload = parse()
        except IntakeError as exc:
            outcome = _failure(req, exc)
            event_create(req, outcome)
            return outcome
        return run(req)
    except (OperationalError, InterfaceError) as exc:
        if not database_unreachable(exc):
            # A deadlock, a lock or statement timeout, a server-side failure: our bug or the
            # database's, not an outage, so a logged 500 with its event, never "unavailable".
            return _unexpected(req)
        logger.warning(
            "%s refused: database unavailable", what, extra={"request_id": str(req.request_id)}
        )
        return _failure(req, IntakeError(errors.UNAVAILABLE, headers={"Retry-After": "5"}))
    except Exception:
        return _unexpected(req)


# Server errors that mean the connection itself is gone: admin, crash or startup shutdown.
_CONNECTION_LOST_STATES = frozenset({"57P01", "57P02", "57P03"})


def database_unreachable(exc: Exception) -> bool:
    """A lost or refused connection (503), as opposed to any other database error (500).

    psycopg gives no SQLSTATE for what fails on the client side (refused, reset, timed out,
    closed); the server says class 08 (connection exception) or 57P0x (shutting down)."""
    if isinstance(exc, InterfaceError):
        return True
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _CONNECTION_LOST_STATES


def run_intake(request: HttpRequest, source_id: str, campaign_id: str) -> IntakeOutcome:
    started = time.perf_counter()
    req = intake_request_from_http(request, source_id, campaign_id, started=started)
    return _run_guarded(
        req,
        lambda: parse_payload(request, settings.INTAKE_MAX_BODY_BYTES),
        lambda r: intake_contact(req=r),
        "intake",
    )


@csrf_exempt
def contact_intake(request: HttpRequest, source_id: str, campaign_id: str) -> HttpResponse:
    """POST/PUT /source/<sid>/campaign/<cid>[/contact]."""
    started = time.perf_counter()
    outcome = run_intake(request, source_id, campaign_id)
    body = outcome_body(outcome, started=started)
    return json_response(body, outcome.http_status, outcome.headers)


@csrf_exempt
def contact_dispatch(request: HttpRequest, source_id: str, campaign_id: str) -> HttpResponse:
    if request.method in ("POST", "PUT"):
        return contact_intake(request, source_id, campaign_id)
    # GET and HEAD never get here: the root URLconf sends them to the docs page (DESIGN §8).
    return method_not_allowed(
        request, source_id, campaign_id, errors.METHOD_NOT_ALLOWED, "GET, HEAD, POST, PUT"
    )


def method_not_allowed(
    request: HttpRequest,
    source_id: str,
    campaign_id: str,
    refusal: errors.IntakeRefusal,
    allow: str,
) -> HttpResponse:
    """405 in the intake's own answer shape, logged as one event like any other request."""
    started = time.perf_counter()
    req = intake_request_from_http(request, source_id, campaign_id, started=started)

    def refuse() -> dict[str, Any]:
        raise IntakeError(refusal, headers={"Allow": allow})

    outcome = _run_guarded(req, refuse, lambda r: _failure(r, IntakeError(refusal)), "intake")
    outcome.headers.setdefault("Allow", allow)
    body = outcome_body(outcome, started=started)
    return json_response(body, outcome.http_status, outcome.headers)


def run_batch(
    request: HttpRequest, source_id: str, campaign_id: str, *, started: float
) -> BatchOutcome | IntakeOutcome:
    """The batch's outcome, or a single answer's outcome when it is refused as a whole."""
    req = intake_request_from_http(request, source_id, campaign_id, started=started)
    # Idempotency keys apply to single posts; batch items are de-duplicated by identity.
    req.idempotency_key = ""
    return _run_guarded(
        req,
        lambda: parse_batch_payload(request, settings.INTAKE_MAX_BATCH_BODY_BYTES),
        lambda r: intake_batch(req=r),
        "batch",
    )


@csrf_exempt
def contacts_batch(request: HttpRequest, source_id: str, campaign_id: str) -> HttpResponse:
    """POST /source/<sid>/campaign/<cid>/contacts with {"contacts": [...]}."""
    if request.method != "POST":
        return method_not_allowed(
            request, source_id, campaign_id, errors.BATCH_METHOD_NOT_ALLOWED, "POST"
        )
    started = time.perf_counter()
    with gc_paused():
        result = run_batch(request, source_id, campaign_id, started=started)
        if isinstance(result, BatchOutcome) and not result.refused:
            body = batch_body(result.outcome, result.items, started=started)
            return json_response(body, 200, {})
    outcome = result.outcome if isinstance(result, BatchOutcome) else result
    body = outcome_body(outcome, started=started)
    return json_response(body, outcome.http_status, outcome.headers)
