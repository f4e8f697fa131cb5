"""What may come in: duplicates, scrub and caps, as the pipeline applies them (DESIGN §5).

The rules themselves live in finance (caps, counters); this module wires them into the intake:
which caps a contact meets, the 429 and its headers, and the duplicate lock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from contactsource.prepared import Statement, prepared_rows
from finance.capstate import CapState, tightest, tightest_quantity
from finance.models import Cap
from finance.selectors import (
    caps_applicable,
    caps_fill,
    caps_states_build,
    counter_rows_read,
    counter_rows_statement,
)
from ingest import errors
from ingest.errors import IntakeError
from ingest.hotcache import caps_cached
from ingest.pipeline import IntakeOutcome
from sources.models import SourceCampaign


def scrub_bucket(seed: str) -> int:
    """A stable 0-99 bucket: the same identity always lands in the same bucket."""
    return int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big") % 100


def is_scrubbed(seed: str, rate: int) -> bool:
    """Scrubbed when the identity's bucket is below the rate: 0 never, 100 always, and the
    same identity always gets the same answer, so re-posting a lead cannot game the rate."""
    return scrub_bucket(seed) < rate


def humanize_window(window: timedelta) -> str:
    days, seconds = window.days, window.seconds
    if days and not seconds:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = days * 24 + seconds // 3600
    if hours and not seconds % 3600:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = int(window.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def duplicate_window(entry: SourceCampaign | None) -> timedelta | None:
    """How long a kept identity blocks a new contact of it (none without an entry)."""
    return (entry.duplicate_window or None) if entry is not None else None


def duplicate_refusal(values: dict[str, Any], earlier: datetime, window: timedelta) -> IntakeError:
    """The 409 of an identity kept within the window (single posts, batches, imports): which
    identity fields matched and the earlier contact's date, never their values."""
    message = errors.duplicate_message(values, earlier, humanize_window(window))
    return IntakeError(errors.DUPLICATE, message=message)


def _duplicate_window(outcome: IntakeOutcome, id_hash: str) -> timedelta | None:
    return duplicate_window(outcome.entry) if id_hash else None


# The identity's latest contact in this source and campaign since the window's start (the
# ORM's query before, as one text prepared per connection: contactsource.prepared).
DUPLICATE_SQL = (
    "SELECT created_at FROM ingest_contact WHERE source_id = %s AND campaign_id = %s "
    "AND identity_hash = %s AND created_at >= %s ORDER BY created_at DESC LIMIT 1"
)


def _duplicate_statement(
    outcome: IntakeOutcome, id_hash: str, now: datetime
) -> tuple[Statement, timedelta] | None:
    window = _duplicate_window(outcome, id_hash)
    if window is None:
        return None
    assert outcome.entry is not None
    entry = outcome.entry
    params = [entry.source_id, entry.campaign_id, id_hash, now - window]
    return (DUPLICATE_SQL, params), window


def _duplicate_refuse(
    outcome: IntakeOutcome, rows: list[tuple[Any, ...]], window: timedelta
) -> None:
    if rows:
        raise duplicate_refusal(outcome.stored or {}, rows[0][0], window)


def duplicate_check(outcome: IntakeOutcome, id_hash: str, now: datetime) -> None:
    """409 when this identity was kept for this source and campaign within the window."""
    duplicate = _duplicate_statement(outcome, id_hash, now)
    if duplicate is not None:
        statement, window = duplicate
        _duplicate_refuse(outcome, prepared_rows([statement])[0], window)


def admission_peek(
    outcome: IntakeOutcome, id_hash: str, caps: list[Cap], at: datetime, cost: Decimal
) -> None:
    """`duplicate_check`, then `caps_peek`: the 409 before the 429, both reads in one round
    trip (a test post, a scrubbed contact, a real-time buyer's)."""
    duplicate = _duplicate_statement(outcome, id_hash, at)
    peek = _caps_peek_statement(outcome, caps, at, cost)
    statements = [s for s in (duplicate and duplicate[0], peek and peek[1]) if s is not None]
    results = prepared_rows(statements) if statements else []
    if duplicate is not None:
        _duplicate_refuse(outcome, results.pop(0), duplicate[1])
    if peek is None:  # no caps
        _caps_peek_refuse(outcome, [], {})
    else:
        _caps_peek_refuse(outcome, peek[0], counter_rows_read(results.pop(0)))


@dataclass(frozen=True)
class IntakeLocks:
    """The statement taking the identity's advisory lock, for the write to send first
    (ingest.services.write); and the duplicate window's start, which the write checks with a
    fresh snapshot (None: no window). The caps' rows are locked last, by their counters'
    statements (finance.services.counters_take_statements)."""

    sql: str | None
    params: list[Any]
    since: datetime | None


def intake_locks(outcome: IntakeOutcome, id_hash: str, now: datetime) -> IntakeLocks:
    window = _duplicate_window(outcome, id_hash)
    if window is None:
        return IntakeLocks(sql=None, params=[], since=None)
    assert outcome.entry is not None
    entry = outcome.entry
    return IntakeLocks(
        sql="SELECT pg_advisory_xact_lock(%s)",
        params=[duplicate_lock_key(entry.source_id, entry.campaign_id, id_hash)],
        since=now - window,
    )


def duplicate_lock_key(source_id: int, campaign_id: int, id_hash: str) -> int:
    """The advisory lock of one identity in one source+campaign (single posts and batches)."""
    seed = f"dup:{source_id}:{campaign_id}:{id_hash}"
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big", signed=True)


def caps_for(outcome: IntakeOutcome, values: dict[str, Any]) -> list[Cap]:
    """The active caps this contact meets (cached per process behind the entry's digest)."""
    assert outcome.source is not None and outcome.campaign is not None
    utm_source = str(values.get("utm_source") or "")
    digest = getattr(outcome.entry, "caps_digest", None)
    if digest is not None:  # the entry query said which caps are current: no query
        return caps_cached(
            campaign_id=outcome.campaign.pk,
            source_id=outcome.source.pk,
            utm_source=utm_source,
            digest=digest,
        )
    return caps_applicable(
        campaign_id=outcome.campaign.pk, source_id=outcome.source.pk, utm_source=utm_source
    )


def caps_peek(
    outcome: IntakeOutcome, caps: list[Cap], at: datetime, cost: Decimal
) -> list[CapState]:
    """Would this contact fit? Reads the counters, takes nothing (test mode, scrubbed contacts
    and the 429 answer). Raises the 429 when a cap is full."""
    peek = _caps_peek_statement(outcome, caps, at, cost)
    if peek is None:  # no caps
        return _caps_peek_refuse(outcome, [], {})
    states, statement = peek
    return _caps_peek_refuse(outcome, states, counter_rows_read(prepared_rows([statement])[0]))


def _caps_states(
    outcome: IntakeOutcome, caps: list[Cap], at: datetime, cost: Decimal
) -> list[CapState]:
    assert outcome.campaign is not None
    return caps_states_build(caps=caps, at=at, cost=cost, timezone=outcome.campaign.timezone)


def _caps_peek_statement(
    outcome: IntakeOutcome, caps: list[Cap], at: datetime, cost: Decimal
) -> tuple[list[CapState], Statement] | None:
    states = _caps_states(outcome, caps, at, cost)
    statement = counter_rows_statement(states)
    return (states, statement) if statement is not None else None


def _caps_peek_refuse(
    outcome: IntakeOutcome,
    states: list[CapState],
    rows: dict[int, list[tuple[datetime, Decimal]]],
) -> list[CapState]:
    caps_fill(states, rows)
    caps_report(outcome, states)
    if any(s.hit for s in states):
        raise limited_error(states)
    return states


def limited_error(states: list[CapState]) -> IntakeError:
    """429 naming the cap that binds hardest, with Retry-After for when it frees a slot."""
    worst = tightest(states)
    if worst is None or not worst.hit:
        # The cap had room again by the time we looked (another intake rolled back): retry now.
        return IntakeError(
            errors.LIMITED,
            message=errors.LIMITED.message.format(cap="a cap was full, retry"),
            headers={"Retry-After": "1"},
        )
    message = errors.LIMITED.message.format(cap=worst.cap.describe())
    return IntakeError(
        errors.LIMITED, message=message, headers={"Retry-After": str(worst.retry_after())}
    )


def caps_report(outcome: IntakeOutcome, states: list[CapState]) -> None:
    """Verbose `caps` and the IETF RateLimit fields for the tightest quantity cap.

    Fields as draft-ietf-httpapi-ratelimit-headers (-09): a named policy with its quota `q` and
    window `w` (seconds), and the remaining quota `r` and seconds `t` until it resets.
    """
    if outcome.verbose:  # only a verbose answer shows them (ingest.responses)
        outcome.caps = [s.as_dict() for s in states]
    state = tightest_quantity(states)
    if state is None:
        return
    name = f'"cap-{state.cap.pk}"'
    window = int(state.window.length.total_seconds())
    outcome.headers["RateLimit-Policy"] = f"{name};q={int(state.limit)};w={window}"
    outcome.headers["RateLimit"] = f"{name};r={int(state.remaining)};t={state.reset_seconds()}"
