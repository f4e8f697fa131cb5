"""Idempotency-Key: a retried post gets the first answer again and changes nothing (DESIGN §4).

As draft-ietf-httpapi-idempotency-key-header and Stripe: a key is scoped to its source, campaign
and test flag, and bound to the body it first came with. The first answer's IntakeEvent is the
record: it keeps the key, a hash of the body and the JSON answer, and a partial unique constraint
on (source, campaign, test flag, key) lets only one original exist, so two racing retries resolve
to one original and one replay.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from campaigns.fields import CONTROL_KEYS
from ingest import errors
from ingest.errors import IntakeError
from ingest.models import IntakeEvent
from ingest.parsing import clean_text
from ingest.pipeline import IntakeOutcome, IntakeRequest

IDEMPOTENCY_TTL = timedelta(hours=24)
# IntakeEvent.idempotency_key's max_length; a longer key is refused, never cut (two keys that
# share their first 255 characters would otherwise replay one answer).
MAX_KEY_LENGTH = 255


def idempotency_key_check(req: IntakeRequest) -> None:
    """400 for a key over the limit."""
    if len(req.idempotency_key) > MAX_KEY_LENGTH:
        raise IntakeError(errors.IDEMPOTENCY_KEY_TOO_LONG)


def body_hash(req: IntakeRequest) -> str:
    """SHA-256 of the body's fields as parsed, not of its bytes: the same fields and values in
    another order, or the same JSON with other whitespace, are the same body; any other key or
    value (a space, a letter's case) is another body. Control keys (`token`, `test`) are left
    out: the token is a credential (a retry may carry a rotated one) and the test flag is part of
    the key's scope already."""
    if req.body_hash is None:
        fields = {
            key: value
            for key, value in req.payload.items()
            if clean_text(str(key)).lower() not in CONTROL_KEYS
        }
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
        req.body_hash = hashlib.sha256(canonical.encode("ascii")).hexdigest()
    return req.body_hash


def idempotency_key_kept(req: IntakeRequest, outcome: IntakeOutcome) -> str:
    """The key an event records. Only a final answer to an authenticated source, in a known
    campaign, binds a key: 429 and 5xx ask the client to retry later (a replay would refuse it
    for a day), and a post with a wrong token must not claim a key of the real source."""
    if outcome.replay_of_id is not None:
        return req.idempotency_key
    if not outcome.authenticated or outcome.campaign is None:
        return ""
    if outcome.http_status == 429 or outcome.http_status >= 500:
        return ""
    return req.idempotency_key


def idempotent_original(
    *, source_id: int, campaign_id: int, is_test: bool, key: str
) -> IntakeEvent | None:
    """The first answer given under this key in this scope, if any (one indexed query)."""
    return (
        IntakeEvent.objects.filter(
            source_id=source_id,
            campaign_id=campaign_id,
            is_test=is_test,
            idempotency_key=key,
            replay_of__isnull=True,
            batch_index__isnull=True,
        )
        .only(
            "status",
            "http_status",
            "contact",
            "errors",
            "response",
            "is_test",
            "idempotency_fingerprint",
            "created_at",
        )
        .first()
    )


def original_matches(req: IntakeRequest, original: IntakeEvent) -> bool:
    """The retry carries the original's body (an original logged before bodies were hashed
    has no hash, and is replayed as it always was)."""
    fingerprint = original.idempotency_fingerprint
    return not fingerprint or fingerprint == body_hash(req)
