"""The intake pipeline: authenticate, validate, de-duplicate, scrub, price, store, log.

One short transaction writes the contact and its event; everything slow happens after commit.
`checks` (the check order up to the campaign), `decide` (fields, identity, the contact row, the
real-time offer), `store` (the transaction), `events` (the log row) and `intake` (the entry
points: a single post, a batch's checks, a batch item).
"""

from __future__ import annotations

from ingest.services.checks import find_token_in_fields, source_token_valid
from ingest.services.decide import identity_hash, identity_of
from ingest.services.events import event_build, event_create
from ingest.services.intake import intake_authenticate, intake_batch_item, intake_contact

__all__ = [
    "event_build",
    "event_create",
    "find_token_in_fields",
    "identity_hash",
    "identity_of",
    "intake_authenticate",
    "intake_batch_item",
    "intake_contact",
    "source_token_valid",
]
