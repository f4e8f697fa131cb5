"""The intake's JSON answer (keys sorted, as the anchor)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from ingest.pipeline import IntakeOutcome


def outcome_body(outcome: IntakeOutcome, *, started: float | None = None) -> dict[str, Any]:
    if outcome.stored_body is not None:
        return outcome.stored_body
    shown = outcome.authenticated
    body: dict[str, Any] = {
        "campaign": (
            {"id": outcome.campaign.pk, "name": outcome.campaign.name}
            if shown and outcome.campaign
            else None
        ),
        "contact": {"id": outcome.contact_id} if outcome.contact_id else None,
        "errors": outcome.errors or None,
        "id": str(outcome.request_id),
        "source": {"id": outcome.source.pk, "name": outcome.source.name}
        if shown and outcome.source
        else None,
        "status": outcome.public_status,
        "statusCode": outcome.http_status,
        "success": outcome.success,
        "time": {
            "completed": timezone.now().isoformat(timespec="milliseconds"),
            "duration": round(time.perf_counter() - started, 4) if started else 0.0,
        },
    }
    if outcome.test:
        body["test"] = True
    if outcome.verbose:
        body["fields"] = outcome.stored or {}
        body["cost"] = str(outcome.cost) if outcome.cost is not None else None
        body["caps"] = outcome.caps
        body["internalStatus"] = outcome.status
    return body


def json_response(body: dict[str, Any], status: int, headers: dict[str, str]) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, sort_keys=True, default=str),
        status=status,
        content_type="application/json",
    )
    for name, value in headers.items():
        response[name] = value
    return response


_ITEM_KEYS = ("contact", "errors", "status", "statusCode", "success")
_ITEM_EXTRA_KEYS = ("test", "fields", "cost", "caps", "internalStatus")


def batch_item_body(outcome: IntakeOutcome, index: int) -> dict[str, Any]:
    """A batch item's answer: the single answer's outcome keys, plus its index."""
    if outcome.stored_body is not None or outcome.test or outcome.verbose:
        full = outcome_body(outcome)
        item = {key: full[key] for key in _ITEM_KEYS}
        item.update({key: full[key] for key in _ITEM_EXTRA_KEYS if key in full})
        item["index"] = index
        return dict(sorted(item.items()))
    # The usual item: outcome_body's values for these keys only (a thousand envelopes, with
    # their clock readings and names, were built to be thrown away), in sorted key order.
    return {
        "contact": {"id": outcome.contact_id} if outcome.contact_id else None,
        "errors": outcome.errors or None,
        "index": index,
        "status": outcome.public_status,
        "statusCode": outcome.http_status,
        "success": outcome.success,
    }


def batch_body(
    outcome: IntakeOutcome, items: list[IntakeOutcome], *, started: float | None = None
) -> dict[str, Any]:
    """A processed batch: the single answer's envelope, `results` in item order and counts."""
    envelope = outcome_body(outcome, started=started)
    results = [batch_item_body(item, index) for index, item in enumerate(items)]
    counts: dict[str, int] = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    body: dict[str, Any] = {
        "campaign": envelope["campaign"],
        "counts": dict(sorted(counts.items())),
        "errors": None,
        "id": envelope["id"],
        "results": results,
        "source": envelope["source"],
        "statusCode": 200,
        "success": True,
        "time": envelope["time"],
    }
    if outcome.test:
        body["test"] = True
    return body
