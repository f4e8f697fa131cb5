"""An accepted or scrubbed contact's rows in one statement of data-modifying CTEs.

One round trip writes the contact (unless the identity was seen in the duplicate window: the
check is the INSERT's own condition, run after the advisory lock, so with a fresh snapshot),
its two ledger rows, the calendar caps' counters (the conditional upsert: a full cap yields no
row, and the caller rolls the whole statement back) and its IntakeEvent. Each variant's SQL text
is built once per process; values are always parameters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg._queries as _psycopg_queries
from django.db import connection, models

from contactsource.bulk import RowPlan
from contactsource.prepared import prepared_cursor
from finance.capstate import CapState
from finance.services import (
    COUNTERS_CTE_ROW,
    COUNTERS_CTE_SQL,
    ROLLING_BUCKETS_SQL,
    ROLLING_ROW,
    counters_cte_params,
    rolling_params,
)
from ingest.admission import IntakeLocks
from ingest.models import Contact, IntakeEvent
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
    counters: dict[int, Decimal]  # cap id -> used after, for the counters that moved
    buckets: dict[int, list[tuple[datetime, Decimal]]]  # rolling caps' rows, before the write
    subscribed: bool = False  # the new subscriber's rows were written


def _columns(model: type[models.Model], *, skip: frozenset[str]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]


_CONTACT_FIELDS = _columns(Contact, skip=frozenset())
_EVENT_FIELDS = _columns(IntakeEvent, skip=frozenset({"contact"}))
_q = connection.ops.quote_name

# (duplicate guard, ledger, number of counters, event, new subscriber's shape) -> SQL text
_Key = tuple[bool, bool, int, bool, tuple[bool, bool, int] | None, int]
_sql_cache: dict[_Key, str] = {}


def _build_sql(
    guard: bool,
    ledger: bool,
    counters: int,
    event: bool,
    subscriber: tuple[bool, bool, int] | None,
    rolling: int,
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
    if counters:
        rows = ", ".join([COUNTERS_CTE_ROW] * counters)
        upsert = COUNTERS_CTE_SQL.replace("{rows}", rows).replace(
            "{guard}", "EXISTS (SELECT 1 FROM c)"
        )
        parts.append(f"k AS ({upsert})")
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
        "(SELECT json_agg(json_build_array(cap_id, used::text)) FROM k)" if counters else "NULL",
        *(new_subscriber_selected(subscriber) if subscriber is not None else []),
        ROLLING_BUCKETS_SQL.replace("{rows}", ", ".join([ROLLING_ROW] * rolling))
        if rolling
        else "NULL",
    ]
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
    contact: Contact,
    guard: DuplicateGuard | None,
    money: tuple[Decimal, Decimal] | None,
    counters: list[CapState],
    event: IntakeEvent | None,
    subscriber: NewSubscriber | None = None,
) -> Written:
    """Run the statement; sets contact.pk (and event.pk) when the contact was written.

    `locks`: the lock statement to run first. The lock and the write go to PostgreSQL together
    in one pipeline (one round trip); the server still runs them one after another, so the
    write's snapshot is taken once the locks are held.

    `money`: the accepted contact's (cost, revenue); `counters`: calendar caps to take;
    `event`: the request's IntakeEvent, written with the contact (None: the caller writes it).
    """
    ops = connection.ops
    params = _CONTACT_PLAN.values(contact)
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
    if counters:
        params += counters_cte_params(counters)
    if event is not None:
        params += _EVENT_PLAN.values(event)
    shape = subscriber.shape if subscriber is not None else None
    if subscriber is not None:
        params += new_subscriber_params(subscriber)
    rolling = [s for s in counters if s.duration.rolling]
    params += rolling_params(rolling)
    sql = _sql(
        (
            guard is not None,
            money is not None,
            len(counters),
            event is not None,
            shape,
            len(rolling),
        )
    )
    row = _execute(locks, sql, params)
    contact_id, event_id, moved = row[:3]
    subscribed = subscriber is not None and new_subscriber_done(subscriber, *row[3:6])
    buckets = _buckets(row[-1])
    if contact_id is not None:
        contact.pk = contact_id
        contact._state.adding = False
        contact._state.db = connection.alias
    if event is not None and event_id is not None:
        event.pk = event_id
        event.contact_id = contact_id
        event._state.adding = False
        event._state.db = connection.alias
    if isinstance(moved, str):  # json may come back undecoded, depending on the loaders
        moved = json.loads(moved)
    taken = {int(cap_id): Decimal(used) for cap_id, used in (moved or [])}
    return Written(
        contact_id=contact_id,
        event_id=event_id,
        counters=taken,
        buckets=buckets,
        subscribed=subscribed,
    )


def _execute(locks: IntakeLocks | None, sql: str, params: list[Any]) -> tuple[Any, ...]:
    # psycopg sends the transaction's BEGIN first (and waits for it); then the lock and the
    # write leave together and come back together: one round trip for both. Both are prepared
    # statements (contactsource.prepared): planned once per connection, not once per post.
    with (
        prepared_cursor() as lock,
        prepared_cursor() as cursor,
        connection.connection.pipeline(),
    ):
        if locks is not None and locks.sql is not None:
            lock.execute(locks.sql, locks.params)
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def _buckets(value: Any) -> dict[int, list[tuple[datetime, Decimal]]]:
    if isinstance(value, str):
        value = json.loads(value)
    rows: dict[int, list[tuple[datetime, Decimal]]] = {}
    for cap_id, start, used in value or []:
        rows.setdefault(int(cap_id), []).append((datetime.fromisoformat(start), Decimal(used)))
    return rows
