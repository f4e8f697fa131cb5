"""An accepted or scrubbed contact's rows in one statement of data-modifying CTEs, and its caps'
counters last, with the COMMIT.

One round trip writes the contact (unless the identity was seen in the duplicate window: the
check is the INSERT's own condition, run after the advisory lock, so with a fresh snapshot),
its two ledger rows, a first-time person with its subscription and outbox rows, and its
IntakeEvent. The caps' counters are taken by the transaction's last statements
(`counters_take`), sent in one pipeline with the COMMIT when nothing else is left to write: a
counter row stays locked from its upsert to the COMMIT, with no Python in between, so posts
to one campaign queue on it for the server's time only. Each variant's SQL text is built once
per process; values are always parameters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
import psycopg._queries as _psycopg_queries
from django.db import connection, models

from contactsource.prepared import pipelined
from contactsource.rowplans import RowPlan
from finance.capstate import CapState
from finance.services import (
    CAP_FULL_SQLSTATE,
    CapExceeded,
    counters_take_statements,
    rolling_buckets_read,
)
from ingest.admission import IntakeLocks
from ingest.models import Contact, IntakeEvent
from ingest.services.decide import ContactRow
from subscriptions.services.newsubscriber import (
    NewSubscriber,
    new_subscriber_ctes,
    new_subscriber_done,
    new_subscriber_params,
    new_subscriber_selected,
)


@dataclass(frozen=True)
class DuplicateGuard:
    """No contact of this identity in this source+campaign since `since` (under its lock)."""

    source_id: int
    campaign_id: int
    identity_hash: str
    since: datetime


@dataclass(frozen=True)
class Written:
    contact_id: int | None  # None: a duplicate (nothing was written)
    event_id: int | None
    subscribed: bool = False  # the new subscriber's rows were written
    taken: Taken | None = None  # `then`'s counters, when they rode along
    # `then`'s COMMIT answered, and then the server ended the session (see Taken).
    committed_then_lost: bool = False


# SQLSTATE of ingest_write_refused() (migration ingest 0005): the write found a duplicate, or a
# person to merge, while the counters and the COMMIT were queued behind it.
WRITE_REFUSED_SQLSTATE = "CS409"


class WriteRefused(Exception):
    """The one-go write stopped (nothing is stored, the caller rolls back): `reason` is
    "duplicate" (the identity was seen in the window) or "merge" (someone shares the person's
    mobile phone or email, which contact_subscribe decides)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Then:
    """What rides in the write's pipeline after it: the caps' counters (`counters_take`) and
    the COMMIT. The write then refuses (WriteRefused) rather than leave a duplicate or a
    person to merge to the code after it."""

    states: list[CapState]
    commit: bool


def _columns(model: type[models.Model], *, skip: frozenset[str]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]


_CONTACT_FIELDS = _columns(Contact, skip=frozenset())
_EVENT_FIELDS = _columns(IntakeEvent, skip=frozenset({"contact"}))
_q = connection.ops.quote_name

# (duplicate guard, ledger, event, new subscriber's shape, refuses) -> SQL text
_Key = tuple[bool, bool, bool, tuple[bool, bool, int] | None, bool]
_sql_cache: dict[_Key, str] = {}


def _build_sql(
    guard: bool,
    ledger: bool,
    event: bool,
    subscriber: tuple[bool, bool, int] | None,
    refuses: bool,
) -> str:
    # Identifiers come from model metadata, values are parameters.
    contact_cols = ", ".join(_q(str(f.column)) for f in _CONTACT_FIELDS)
    contact_vals = ", ".join(["%s"] * len(_CONTACT_FIELDS))
    where = (
        " WHERE NOT EXISTS (SELECT 1 FROM ingest_contact d WHERE d.source_id = %s "
        "AND d.campaign_id = %s AND d.identity_hash = %s AND d.created_at >= %s::timestamptz)"
        if guard
        else ""
    )
    parts = [
        f"c AS (INSERT INTO ingest_contact ({contact_cols}) "
        f"SELECT {contact_vals}{where} RETURNING id)"
    ]
    if ledger:
        parts.append(
            "l AS (INSERT INTO finance_ledgerentry "
            "(kind, amount, source_id, campaign_id, contact_id, utm_source, memo, created_at) "
            "SELECT v.kind, v.amount, %s::bigint, %s::bigint, c.id, %s, '', %s::timestamptz "
            "FROM c, (VALUES (1, 'cost', %s::numeric), (2, 'revenue', %s::numeric)) "
            "AS v(ord, kind, amount) ORDER BY v.ord)"
        )
    if event:
        event_cols = ", ".join(_q(str(f.column)) for f in _EVENT_FIELDS)
        event_vals = ", ".join(["%s"] * len(_EVENT_FIELDS))
        parts.append(
            f"e AS (INSERT INTO ingest_intakeevent ({event_cols}, contact_id) "  # noqa: S608
            f"SELECT {event_vals}, c.id FROM c RETURNING id)"
        )
    if subscriber is not None:
        parts += new_subscriber_ctes(subscriber, guard="c")
    selected = [
        "(SELECT id FROM c)",
        "(SELECT id FROM e)" if event else "NULL",
        *(new_subscriber_selected(subscriber) if subscriber is not None else []),
    ]
    if refuses:
        when = ["WHEN (SELECT id FROM c) IS NULL THEN ingest_write_refused('duplicate')"]
        if subscriber is not None:
            when.append("WHEN (SELECT id FROM ins) IS NULL THEN ingest_write_refused('merge')")
        selected.append(f"CASE {' '.join(when)} END")
    return f"WITH {', '.join(parts)} SELECT {', '.join(selected)}"


def _sql(key: _Key) -> str:
    sql = _sql_cache.get(key)
    if sql is None:
        sql = _sql_cache[key] = _build_sql(*key)
    return sql


# psycopg merges parameters into the text client-side (Django's default) and caches how to
# split a query only for texts up to 4 KiB with up to 50 parameters; this statement has about
# 5 KiB and 80, so psycopg parsed it again on every post (a third of the post's Python CPU in
# the profile). Its cache is an LRU of 128 texts: raising the limits keeps the few shapes here.
# A psycopg without these names ignores the assignment and is only slower.
_psycopg_queries.MAX_CACHED_STATEMENT_LENGTH = max(
    getattr(_psycopg_queries, "MAX_CACHED_STATEMENT_LENGTH", 0), 16 * 1024
)
_psycopg_queries.MAX_CACHED_STATEMENT_PARAMS = max(
    getattr(_psycopg_queries, "MAX_CACHED_STATEMENT_PARAMS", 0), 256
)

_CONTACT_PLAN = RowPlan(_CONTACT_FIELDS)
_EVENT_PLAN = RowPlan(_EVENT_FIELDS)


def contact_write(
    *,
    locks: IntakeLocks | None = None,
    contact: ContactRow,
    guard: DuplicateGuard | None,
    money: tuple[Decimal, Decimal] | None,
    event: dict[str, Any] | None,
    subscriber: NewSubscriber | None = None,
    then: Then | None = None,
) -> Written:
    """Run the statement; sets contact.pk when the contact was written.

    `locks`: the lock statement to run first. The lock and the write go to PostgreSQL together
    in one pipeline (one round trip); the server still runs them one after another, so the
    write's snapshot is taken once the locks are held.

    `money`: the accepted contact's (cost, revenue); `event`: the request's IntakeEvent row
    (`ingest.services.events.event_values`: attname -> value), written with the contact and
    given its id (None: the caller writes it). Values, not an instance: building the model
    cost more than its values.

    `then`: the counters and the COMMIT, in the same pipeline (one round trip for the whole
    transaction). Raises WriteRefused for a duplicate or a person to merge, CapExceeded for a
    full cap: the statements behind the failed one did not run; the caller rolls back.
    """
    ops = connection.ops
    params = _CONTACT_PLAN.new_values(contact.values)
    if guard is not None:
        params += [
            guard.source_id,
            guard.campaign_id,
            guard.identity_hash,
            ops.adapt_datetimefield_value(guard.since),
        ]
    if money is not None:
        params += [
            contact.source_id,
            contact.campaign_id,
            contact.utm_source[:255],
            ops.adapt_datetimefield_value(contact.created_at),
            ops.adapt_decimalfield_value(money[0], 14, 4),
            ops.adapt_decimalfield_value(money[1], 14, 4),
        ]
    if event is not None:
        params += _EVENT_PLAN.new_values(event)
    shape = subscriber.shape if subscriber is not None else None
    if subscriber is not None:
        params += new_subscriber_params(subscriber)
    sql = _sql((guard is not None, money is not None, event is not None, shape, then is not None))
    statements = [(locks.sql, locks.params)] if locks is not None and locks.sql else []
    statements.append((sql, params))
    write_at = len(statements) - 1
    if then is not None and then.states:
        statements += counters_take_statements(then.states)
    rows, lost = _run(statements, commit=then is not None and then.commit)
    row = rows[write_at]
    taken = None
    if then is not None and then.states:
        taken = _taken(rows[-1], lost)
    contact_id, event_id = row[:2]
    subscribed = subscriber is not None and new_subscriber_done(subscriber, *row[2:5])
    if contact_id is not None:
        contact.pk = contact_id
    return Written(
        contact_id=contact_id,
        event_id=event_id,
        subscribed=subscribed,
        taken=taken,
        committed_then_lost=lost,
    )


@dataclass(frozen=True)
class Taken:
    counters: dict[int, Decimal]  # cap id -> used after
    # Rolling caps' use before the take, summed: finance.services.rolling_buckets_read.
    buckets: dict[int, list[tuple[datetime, Decimal]]]
    # The pipeline's COMMIT answered, and then the server ended the session (a shutdown, an
    # administrator's command): the transaction stands, the connection is gone.
    committed_then_lost: bool = False


def counters_take(*, states: list[CapState], commit: bool) -> Taken:
    """Take the caps' counters (finance.services.counters_take_statements), the transaction's
    last statements; with `commit`, its COMMIT goes in the same pipeline (one round trip for
    all), so the counters' rows are locked only for the server's own time. A cap with no room
    raises CapExceeded: the statement failed, the COMMIT did not run, the caller rolls back.

    `commit` only for the outermost transaction: the caller's atomic block then ends with a
    COMMIT that psycopg does not send (the transaction is over), which Django still logs."""
    rows, lost = _run(counters_take_statements(states), commit=commit)
    return _taken(rows[-1], lost)


def _taken(row: tuple[Any, ...], lost: bool) -> Taken:
    moved, buckets = row[0], row[1]
    if isinstance(moved, str):  # json may come back undecoded, depending on the loaders
        moved = json.loads(moved)
    return Taken(
        counters={int(cap_id): Decimal(used) for cap_id, used in (moved or [])},
        buckets=rolling_buckets_read(buckets),
        committed_then_lost=lost,
    )


def _run(
    statements: list[tuple[str, list[Any]]], *, commit: bool
) -> tuple[list[tuple[Any, ...]], bool]:
    """`contactsource.prepared.pipelined` (one round trip; each statement here returns one
    row), its signals as exceptions: CapExceeded, WriteRefused; any other error as Django's."""
    try:
        results, lost = pipelined(statements, commit=commit)
    except psycopg.Error as exc:
        if exc.sqlstate == CAP_FULL_SQLSTATE:
            raise CapExceeded from None
        if exc.sqlstate == WRITE_REFUSED_SQLSTATE:
            raise WriteRefused(exc.diag.message_primary or "") from None
        with connection.wrap_database_errors:
            raise
    return [rows[0] for rows in results], lost
