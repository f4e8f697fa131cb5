"""Writes: taking room in caps, the ledger, and keeping cap counters right when caps change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum

from finance.capstate import CapState, cap_state_build, state_fill
from finance.models import Cap, CapCounter, CapKind, CapScope, LedgerEntry, LedgerKind
from finance.selectors import counter_rows
from finance.windows import bucket_start, window_at


class CapExceeded(Exception):
    """A cap has no room for this contact; the caller's transaction must roll back."""


_ADD_SQL = (
    'INSERT INTO finance_capcounter (cap_id, window_start, used, "limit") VALUES {rows} '
    "ON CONFLICT (cap_id, window_start) DO UPDATE "
    'SET used = finance_capcounter.used + excluded.used, "limit" = excluded."limit" '
    'WHERE finance_capcounter.used + excluded.used <= excluded."limit" '
    "RETURNING cap_id, used"
)


def _counters_add(states: Sequence[CapState]) -> dict[int, Decimal]:
    """Add each contact's amount to its window's counter if it stays within the limit.

    One statement for all caps: `INSERT … ON CONFLICT DO UPDATE … WHERE used + amount <= limit`.
    PostgreSQL takes each row's lock in the VALUES order (by cap id, so two intakes never
    deadlock) and re-checks the WHERE on the latest committed row, so this is exact under
    concurrency without a SELECT … FOR UPDATE. Returns {cap_id: used after} for the rows it
    changed; a cap missing from the answer was full.
    """
    # Only placeholders carry values: the rows are "(%s, %s, %s, %s)" repeated.
    sql = _ADD_SQL.replace("{rows}", ", ".join(["(%s, %s, %s, %s)"] * len(states)))
    with connection.cursor() as cursor:
        cursor.execute(sql, counters_params(states))
        return {cap_id: Decimal(str(used)) for cap_id, used in cursor.fetchall()}


def counters_params(states: Sequence[CapState]) -> list[Any]:
    """(cap id, window key, amount, limit) per state, adapted, for the conditional upsert."""
    ops = connection.ops
    params: list[Any] = []
    for state in states:
        params += [
            state.cap.pk,
            ops.adapt_datetimefield_value(state.window.key),
            ops.adapt_decimalfield_value(state.amount, 14, 4),
            ops.adapt_decimalfield_value(state.cap.limit, 14, 4),
        ]
    return params


# The same conditional upsert as _ADD_SQL, as the data-modifying CTE of the intake's counters
# statement (counters_take_statements): `{rows}` is a VALUES list of typed rows. A full cap
# yields no row, and that statement then calls finance_cap_full().
# A rolling cap's row carries its window's start: it is taken only if the sum of its buckets
# (read with this statement's snapshot, after the caller locked the cap row) leaves room, as
# _rolling_take checks in Python.
COUNTERS_CTE_SQL = (
    'INSERT INTO finance_capcounter (cap_id, window_start, used, "limit") '
    "SELECT v.cap_id, v.window_start, v.used, v.lim FROM (VALUES {rows}) "
    "AS v(cap_id, window_start, used, lim, since) WHERE (v.since IS NULL OR "
    "coalesce((SELECT sum(cc.used) FROM finance_capcounter cc WHERE cc.cap_id = v.cap_id "
    "AND cc.window_start >= v.since), 0) + v.used <= v.lim) "
    "ON CONFLICT (cap_id, window_start) DO UPDATE "
    'SET used = finance_capcounter.used + excluded.used, "limit" = excluded."limit" '
    'WHERE finance_capcounter.used + excluded.used <= excluded."limit" '
    "RETURNING cap_id, used"
)
COUNTERS_CTE_ROW = "(%s::bigint, %s::timestamptz, %s::numeric, %s::numeric, %s::timestamptz)"
# The rolling caps' buckets as they were before the statement, summed per cap by the server:
# (cap id, window start) rows in; out, per cap, its oldest bucket with use and that bucket's
# use, its newest bucket, and the use of the whole window. That is what the answer needs (the
# use, and the reset time: when the oldest used bucket leaves the window), and one row per cap
# instead of every bucket: a rolling cap's window holds up to 61 (finance.windows), which were
# sent back and parsed on every accepted post, about 42 µs of Python for a full window.
ROLLING_ROW = "(%s::bigint, %s::timestamptz)"
ROLLING_BUCKETS_SQL = (
    "(SELECT json_agg(json_build_array(b.cap_id, b.oldest, b.oldest_used::text, b.newest, "
    "b.used::text)) FROM (SELECT cc.cap_id, "
    "min(cc.window_start) FILTER (WHERE cc.used > 0) AS oldest, "
    "(array_agg(cc.used ORDER BY cc.window_start) FILTER (WHERE cc.used > 0))[1] AS oldest_used, "
    "max(cc.window_start) AS newest, sum(cc.used) AS used "
    "FROM finance_capcounter cc, (VALUES {rows}) AS r(cap_id, since) "
    "WHERE cc.cap_id = r.cap_id AND cc.window_start >= r.since GROUP BY cc.cap_id) AS b)"
)
ROLLING_LOCK_SQL = (
    "(SELECT count(*) FROM (SELECT id FROM finance_cap WHERE id = ANY(%s) "
    "ORDER BY id FOR NO KEY UPDATE) AS locked)"
)


def rolling_buckets_read(value: Any) -> dict[int, list[tuple[datetime, Decimal]]]:
    """ROLLING_BUCKETS_SQL's summary (JSON, or its text) as buckets: the oldest bucket with
    use, as it is, and the rest of the window's use in its newest bucket. The use and the reset
    time (the oldest used bucket leaving the window: CapState.reset_seconds) are exact; a
    Retry-After computed from them would be late, never early (a 429 reads every bucket)."""
    if isinstance(value, str):
        value = json.loads(value)
    rows: dict[int, list[tuple[datetime, Decimal]]] = {}
    for cap_id, oldest, oldest_used, newest, used in value or []:
        buckets = rows.setdefault(int(cap_id), [])
        if oldest is None:  # no bucket with use in the window
            continue
        first = Decimal(oldest_used)
        buckets.append((datetime.fromisoformat(oldest), first))
        rest = Decimal(used) - first
        if rest:
            buckets.append((datetime.fromisoformat(newest), rest))
    return rows


# Raised by the finance_cap_full() function (migration 0003) when a counter did not move: the
# statement fails, so a COMMIT sent behind it in the same pipeline does not run, and the caller
# rolls back (CapExceeded).
CAP_FULL_SQLSTATE = "CS429"


def counters_take_statements(states: Sequence[CapState]) -> list[tuple[str, list[Any]]]:
    """The statements that take `states`' counters, in caps_take's lock order, to run last in
    the intake's transaction (so the counters' rows stay locked only until its COMMIT).

    First the rolling caps' rows are locked, in a statement of their own so that the next one's
    snapshot sees every bucket committed before the lock. Then one statement: the conditional
    upsert of every counter, the rolling caps' buckets as they were before it (summed:
    ROLLING_BUCKETS_SQL), and finance_cap_full() when a counter did not move. Its result row:
    (counters that moved as [[cap id, used]], rolling caps as [[cap id, oldest used bucket's
    start, its use, newest bucket's start, the window's use]], NULL)."""
    rolling = [s for s in states if s.duration.rolling]
    statements: list[tuple[str, list[Any]]] = []
    if rolling:
        statements.append((f"SELECT {ROLLING_LOCK_SQL}", [sorted(s.cap.pk for s in rolling)]))
    sql = _TAKE_SQL.get((len(states), len(rolling)))
    if sql is None:
        upsert = COUNTERS_CTE_SQL.replace("{rows}", ", ".join([COUNTERS_CTE_ROW] * len(states)))
        buckets = (
            ROLLING_BUCKETS_SQL.replace("{rows}", ", ".join([ROLLING_ROW] * len(rolling)))
            if rolling
            else "NULL"
        )
        sql = _TAKE_SQL[(len(states), len(rolling))] = (
            f"WITH k AS ({upsert}) "  # noqa: S608 (no values)
            "SELECT (SELECT json_agg(json_build_array(cap_id, used::text)) FROM k), "
            f"{buckets}, "
            f"CASE WHEN (SELECT count(*) FROM k) < {len(states):d} THEN finance_cap_full() END"
        )
    statements.append((sql, counters_cte_params(states) + rolling_params(rolling)))
    return statements


_TAKE_SQL: dict[tuple[int, int], str] = {}


def counters_cte_params(states: Sequence[CapState]) -> list[Any]:
    """COUNTERS_CTE_ROW's values: as counters_params, plus a rolling cap's window start."""
    ops = connection.ops
    params: list[Any] = []
    for state in states:
        since = state.window.start if state.duration.rolling else None
        params += [
            *counters_params([state]),
            ops.adapt_datetimefield_value(since) if since is not None else None,
        ]
    return params


def rolling_params(states: Sequence[CapState]) -> list[Any]:
    ops = connection.ops
    params: list[Any] = []
    for state in states:
        params += [state.cap.pk, ops.adapt_datetimefield_value(state.window.start)]
    return params


def caps_take_prepare(
    *, caps: list[Cap], at: datetime, cost: Decimal, timezone: str
) -> list[CapState]:
    """The states whose counters the caller adds in its own statement (one conditional upsert,
    as caps_take), in caps_take's lock order: rolling caps by id, then calendar caps by id.
    Rolling caps' rows must be locked first (ROLLING_LOCK_SQL, its own statement, so that the
    upsert's snapshot sees every committed bucket). Raises CapExceeded when the contact alone
    is over a limit."""
    states = [cap_state_build(cap, at=at, cost=cost, timezone=timezone) for cap in caps]
    if any(s.amount > s.limit for s in states):
        raise CapExceeded
    return [s for s in states if s.duration.rolling] + [s for s in states if not s.duration.rolling]


def caps_taken(
    states: list[CapState],
    taken: dict[int, Decimal],
    buckets: dict[int, list[tuple[datetime, Decimal]]],
) -> list[CapState]:
    """After the caller's upsert: every counter must have moved, or CapExceeded. `buckets`:
    the rolling caps' rows as they were before it."""
    if len(taken) != len(states):
        raise CapExceeded
    for state in states:
        if state.duration.rolling:
            state_fill(state, buckets.get(state.cap.pk, []))
            state.used += state.amount
            state.buckets.append((state.window.key, state.amount))
        else:
            state.used = taken[state.cap.pk]
            state.buckets = [(state.window.key, state.used)]
    return states


def _rolling_take(states: list[CapState]) -> None:
    """Rolling windows are sums of buckets, which no single-row condition can check: lock the
    caps (by id), read their buckets with a fresh snapshot, then add to the current bucket."""
    ids = [s.cap.pk for s in states]
    list(
        Cap.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rows = counter_rows(states)
    for state in states:
        state_fill(state, rows.get(state.cap.pk, []))
        state.hit = not state.fits
    if any(s.hit for s in states):
        raise CapExceeded
    _counters_add(states)
    for state in states:
        state.used += state.amount
        state.buckets.append((state.window.key, state.amount))


def caps_take(*, caps: list[Cap], at: datetime, cost: Decimal, timezone: str) -> list[CapState]:
    """Take room for one accepted contact in every cap that applies, or raise CapExceeded.

    Call inside the intake's transaction, as late as possible (the counter rows stay locked
    until commit). Locks are taken in one global order: rolling caps by id, then calendar
    counters by id. No caps: no query at all.
    """
    states = [cap_state_build(cap, at=at, cost=cost, timezone=timezone) for cap in caps]
    if any(s.amount > s.limit for s in states):
        raise CapExceeded
    rolling = [s for s in states if s.duration.rolling]
    calendar = [s for s in states if not s.duration.rolling]
    if rolling:
        _rolling_take(rolling)
    if calendar:
        taken = _counters_add(calendar)
        if len(taken) != len(calendar):
            raise CapExceeded
        for state in calendar:
            state.used = taken[state.cap.pk]
            state.buckets = [(state.window.key, state.used)]
    return states


@transaction.atomic
def ledger_reverse_contact(
    *, contact_id: int, memo: str = "", at: datetime | None = None
) -> list[LedgerEntry]:
    """Correct a contact's charge by appending one reversal per cost/revenue row not yet
    reversed. Nothing is edited; reversing twice adds nothing. Caps keep counting the contact
    (it was delivered); reports net the reversal out."""
    from django.utils import timezone

    when = at or timezone.now()
    originals = (
        LedgerEntry.objects.select_for_update(of=("self",))
        .filter(
            contact_id=contact_id,
            kind__in=[LedgerKind.COST, LedgerKind.REVENUE],
            reversed_by__isnull=True,
        )
        .order_by("pk")
    )
    reversals = [
        LedgerEntry(
            kind=LedgerKind.REVERSAL,
            amount=-entry.amount,
            source_id=entry.source_id,
            campaign_id=entry.campaign_id,
            contact_id=entry.contact_id,
            utm_source=entry.utm_source,
            reverses=entry,
            memo=memo[:255],
            created_at=when,
        )
        for entry in originals
    ]
    return LedgerEntry.objects.bulk_create(reversals)


# The memo of an imported contact's ledger rows: charged like any other, never counted by caps
# (a memo rather than a new column: no schema change for one flag).
IMPORTED_MEMO = "imported"

_WINDOW_FIELDS = ("campaign_id", "source_id", "kind", "scope", "utm_source", "duration")


@transaction.atomic
def cap_save(*, cap: Cap) -> Cap:
    """Validate and save a cap; a new cap, or one whose window or scope changed, starts from
    what the ledger says was accepted in its current window (not from zero)."""
    cap.full_clean()
    before = Cap.objects.filter(pk=cap.pk).values(*_WINDOW_FIELDS).first() if cap.pk else None
    cap.save()
    if before != {name: getattr(cap, name) for name in _WINDOW_FIELDS}:
        cap_counters_rebuild(cap=cap)
    return cap


def cap_counters_rebuild(*, cap: Cap, at: datetime | None = None) -> None:
    """Recount a cap's current window from the ledger's cost rows (one per accepted contact).

    Contacts still in flight while this runs are not seen: an admin edit is approximate for
    those few milliseconds, the intake never is."""
    from django.utils import timezone

    now = at or timezone.now()
    cap = Cap.objects.select_for_update().select_related("campaign").get(pk=cap.pk)
    state = cap_state_build(cap, at=now, cost=Decimal("0"), timezone=cap.campaign.timezone)
    CapCounter.objects.filter(cap=cap).delete()
    # Imported contacts never took from a cap as they arrived: a recount must not add them.
    entries = LedgerEntry.objects.filter(
        kind=LedgerKind.COST, campaign_id=cap.campaign_id, created_at__gte=state.window.start
    ).exclude(memo=IMPORTED_MEMO)
    if state.window.end is not None:
        entries = entries.filter(created_at__lt=state.window.end)
    if cap.source_id:
        entries = entries.filter(source_id=cap.source_id)
    if cap.scope == CapScope.UTM_SOURCE:
        entries = entries.filter(utm_source=cap.utm_source)
    measure = Count("pk") if cap.kind == CapKind.QUANTITY else Sum("amount")
    per_bucket: dict[datetime, Decimal] = {}
    if state.window.end is not None:
        total = entries.aggregate(total=measure)["total"]
        if total:
            per_bucket[state.window.key] = Decimal(total)
    else:
        size = state.duration.bucket_seconds
        for created_at, amount in entries.values_list("created_at", "amount"):
            key = bucket_start(created_at, size)
            add = Decimal("1") if cap.kind == CapKind.QUANTITY else amount
            per_bucket[key] = per_bucket.get(key, Decimal("0")) + add
    CapCounter.objects.bulk_create(
        CapCounter(cap=cap, window_start=key, used=used, limit=cap.limit)
        for key, used in per_bucket.items()
    )


def cap_counters_prune(*, at: datetime | None = None, keep_days: int = 400) -> int:
    """Drop counter rows no window counts any more: a rolling cap's buckets before its window,
    a calendar cap's windows older than `keep_days` (kept that long as history). Returns how
    many rows went."""
    from django.utils import timezone

    now = at or timezone.now()
    deleted = 0
    for cap in Cap.objects.select_related("campaign").order_by("pk"):
        duration = cap.parsed_duration
        if duration.rolling:
            cutoff = window_at(duration, now, cap.campaign.timezone).start
        else:
            cutoff = now - timedelta(days=keep_days)
        deleted += CapCounter.objects.filter(cap=cap, window_start__lt=cutoff).delete()[0]
    return deleted


@transaction.atomic
def cap_delete(*, cap: Cap) -> None:
    """Delete a cap and its counters (contacts and the ledger are untouched)."""
    cap.delete()
