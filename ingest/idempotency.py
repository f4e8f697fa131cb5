"""Idempotency-Key: a retried post gets the first answer again and changes nothing (DESIGN §4).

The first answer's IntakeEvent is the record: it keeps the key and the JSON body, and a partial
unique constraint (source, key) lets only one original exist, so two racing retries resolve to
one original and one replay.
"""

from __future__ import annotations

from datetime import timedelta

from ingest.models import IntakeEvent
from ingest.pipeline import IntakeOutcome, IntakeRequest

IDEMPOTENCY_TTL = timedelta(hours=24)


def idempotency_key_kept(req: IntakeRequest, outcome: IntakeOutcome) -> str:
    """The key an event records. Only a final answer to an authenticated source binds a key:
    429 and 5xx ask the client to retry later (a replay would refuse it for a day), and a
    post with a wrong token must not claim a key of the real source."""
    if outcome.replay_of_id is not None:
        return req.idempotency_key
    if not outcome.authenticated or outcome.http_status == 429 or outcome.http_status >= 500:
        return ""
    return req.idempotency_key


def idempotent_original(*, source_id: int, key: str) -> IntakeEvent | None:
    """The first answer given to this source under this key, if any (one indexed query)."""
    return (
        IntakeEvent.objects.filter(
            source_id=source_id,
            idempotency_key=key,
            replay_of__isnull=True,
            batch_index__isnull=True,
        )
        .only("status", "http_status", "contact", "errors", "response", "is_test", "created_at")
        .first()
    )
