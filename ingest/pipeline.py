"""Value objects that travel through the intake pipeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from campaigns.models import Campaign
from ingest.errors import IntakeError
from ingest.models import IntakeStatus
from sources.models import Source, SourceCampaign


@dataclass
class IntakeRequest:
    """Everything the pipeline needs from one HTTP request (or one item of a batch)."""

    source_ref: str
    campaign_ref: str
    payload: dict[str, Any]
    received_at: datetime
    started: float
    request_id: uuid.UUID = field(default_factory=uuid.uuid4)
    token: str = ""  # from the query string or headers; a body `token` field wins
    test: bool = False
    verbose_key: str | None = None
    idempotency_key: str = ""
    body_hash: str | None = None  # of the payload, once needed (ingest.idempotency.body_hash)
    client_ip: str | None = None
    batch_index: int | None = None


@dataclass
class IntakeOutcome:
    request_id: uuid.UUID
    status: str = IntakeStatus.ERROR
    http_status: int = 500
    errors: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    source: Source | None = None
    campaign: Campaign | None = None
    entry: SourceCampaign | None = None
    contact_id: int | None = None
    provided: dict[str, Any] | None = None
    stored: dict[str, Any] | None = None
    cost: Decimal | None = None
    revenue: Decimal | None = None
    caps: list[dict[str, Any]] = field(default_factory=list)
    verbose: bool = False
    authenticated: bool = False
    test: bool = False
    event_id: int | None = None
    replay_of_id: int | None = None
    # With an Idempotency-Key the body is fixed when its event stores it, and a replay answers
    # the stored one: what was sent and what is replayed are the same bytes.
    stored_body: dict[str, Any] | None = None
    # What the event logs as errors when it is not `errors` (a refusal before authentication
    # logs only the refusal, not a soft error per posted key).
    log_errors: dict[str, str] | None = None

    def item(self, req: IntakeRequest) -> IntakeOutcome:
        """A new outcome for one item of this authenticated batch (or import chunk)."""
        return IntakeOutcome(
            request_id=req.request_id,
            source=self.source,
            campaign=self.campaign,
            entry=self.entry,
            authenticated=True,
            verbose=self.verbose,
            test=req.test,
        )

    def refuse(self, exc: IntakeError) -> None:
        self.status = exc.refusal.status
        self.http_status = exc.refusal.http_status
        self.errors.update(exc.errors)
        self.headers.update(exc.headers)

    @property
    def success(self) -> bool:
        return self.status == IntakeStatus.ACCEPTED

    @property
    def public_status(self) -> str:
        # A scrubbed contact is the margin: the source only ever sees it as rejected.
        return IntakeStatus.REJECTED if self.status == IntakeStatus.SCRUBBED else self.status
