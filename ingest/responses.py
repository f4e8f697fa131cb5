"""The intake's JSON answer (keys sorted, as the anchor)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from ingest.pipeline import IntakeOutcome


def outcome_body(outcome: IntakeOutcome, *, started: float | None = None) -> dict[str, Any]:
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
