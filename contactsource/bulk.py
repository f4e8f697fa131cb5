"""Insert many model rows fast: PostgreSQL's COPY, with the ids drawn from the sequence first.

Django's `bulk_create` on PostgreSQL sends one array per column (`INSERT … SELECT * FROM
UNNEST(…)`), and psycopg writes text arrays in Python, escaping every element: for the batch
intake's thousand contacts and events that was a quarter of the request. COPY streams the rows
through psycopg's C row writer instead. Ids come from the table's own sequence in one statement,
so every object has its `pk` afterwards, as with `bulk_create`.

Same contract as `bulk_create(objs)` for plain rows: `pre_save(add=True)` runs (auto_now_add),
values are prepared by each field (`get_db_prep_save`), objects end up saved. Not for models with
database defaults or multi-table inheritance. Fewer than `COPY_MIN_ROWS` rows take `bulk_create`.

`bulk_insert_rows` writes the same rows from plain tuples, with no model instance per row:
building an instance and reading it back cost 16-60 µs a row (a ledger entry to a contact),
more than all the rest of a batch's row handling. Which columns exist, their defaults and how
their values are prepared come from the model's `_meta` once per process
(`contactsource.rowplans.CopyPlan`).

`copies_overlapped` lets the database work on one COPY while Python builds the next
(contactsource/copyqueue.py).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin
from psycopg.copy import Copy, FileWriter

from contactsource.rowplans import RowPlan, _db, copy_plan

M = TypeVar("M", bound=models.Model)

# Below this, an INSERT costs less than the extra sequence round trip.
COPY_MIN_ROWS = 20


def bulk_insert(model: type[M], objs: Sequence[M]) -> Sequence[M]:
    """Insert `objs` (unsaved instances of `model`) and set their primary keys."""
    if len(objs) < COPY_MIN_ROWS:
        return model._default_manager.bulk_create(objs)
    fields = list(model._meta.concrete_fields)
    plan = _plans.get(model)
    if plan is None:
        plan = _plans[model] = RowPlan(fields)
    with connection.cursor() as cursor:
        ids = _next_ids(cursor, model, len(objs))
        for obj, new_id in zip(objs, ids, strict=True):
            obj.pk = new_id
        rows = [_row(obj, plan) for obj in objs]
        _copy(cursor.cursor, _db(), model, [str(f.column) for f in fields], rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def bulk_insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert `rows` (each a tuple of values for `columns`, by attname) as new `model` rows and
    return their ids in order: what `bulk_insert([model(**dict(zip(columns, row))) …])` would
    write, without building the instances (see `CopyPlan` for the other columns)."""
    plan = copy_plan(model, columns)  # checks the columns, whichever way the rows go
    if not rows:
        return []
    if len(rows) < COPY_MIN_ROWS:
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objs)
        return [obj.pk for obj in objs]
    queue = copy_queue.get()
    reserved = queue.ids_take(model, len(rows)) if queue is not None else None
    if queue is not None and reserved is not None:
        queue.put(model, plan.copy_columns, plan.rows(reserved, rows))
        return reserved
    with connection.cursor() as cursor:
        ids = _next_ids(cursor, model, len(rows))
        _copy(cursor.cursor, _db(), model, plan.copy_columns, plan.rows(ids, rows))
    return ids


class CopyQueue(Protocol):
    """Where `bulk_insert_rows` sends a COPY whose ids were drawn beforehand
    (contactsource.copyqueue)."""

    def ids_take(self, model: type[models.Model], count: int) -> list[int] | None: ...

    def put(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None: ...


copy_queue: ContextVar[CopyQueue | None] = ContextVar("copy_queue", default=None)


_NEXT_IDS = (
    "SELECT %s, nextval(seq.id) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS id"
    " OFFSET 0) AS seq, generate_series(1, %s)"
)


def _next_ids(cursor: Any, model: type[models.Model], count: int) -> list[int]:
    return next_ids_of(cursor, {model: count})[model]


def next_ids_of(
    cursor: Any, counts: dict[type[models.Model], int], *, before: str = ""
) -> dict[type[models.Model], list[int]]:
    """`count` new ids from each model's sequence, in one statement (after `before`, SQL
    without parameters sent in the same round trip)."""
    parts: list[str] = []
    params: list[Any] = []
    for n, (model, count) in enumerate(counts.items()):
        opts = model._meta
        pk = opts.pk
        assert pk is not None and isinstance(pk, AutoFieldMixin), model
        parts.append(_NEXT_IDS)
        params += [n, opts.db_table, pk.column, count]
    # Each sequence is looked up once, not once per row (OFFSET 0 keeps the planner from
    # pulling the lookup into the row loop): pg_get_serial_sequence reads the catalog, and a
    # thousand calls cost more than the rows (3x the whole batch's time on a new database,
    # whose catalog had no statistics yet).
    cursor.execute(before + " UNION ALL ".join(f"({part})" for part in parts), params)
    if before:
        cursor.nextset()
    ids: list[list[int]] = [[] for _ in parts]
    for n, new_id in cursor.fetchall():
        ids[n].append(new_id)
    return dict(zip(counts, ids, strict=True))


def _copy(
    raw: Any,
    db: Any,
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]] | CopyData,
) -> None:
    """COPY `rows` (or data `copy_data` made) through `raw`, psycopg's own cursor on `db`'s
    connection (not Django's wrapper, which only the thread that opened it may use)."""
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    sql = f"COPY {table} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    started = time.monotonic()
    count = 0
    # Django's wrapper maps psycopg's errors (a unique violation is an IntegrityError).
    with db.wrap_database_errors, raw.copy(sql) as copy:
        if isinstance(rows, CopyData):
            copy.write(rows.data)
            count = rows.count
        else:
            for row in rows:
                copy.write_row(row)
                count += 1
    if db.queries_logged:
        # Django's debug cursor does not see COPY: log it, so query counts stay honest.
        took = f"{time.monotonic() - started:.3f}"
        db.queries_log.append({"sql": f"{sql} -- {count} rows", "time": took})


@dataclass(frozen=True)
class CopyData:
    data: bytes
    count: int


def copy_data(db: Any, rows: Iterable[Sequence[Any]]) -> CopyData:
    """The bytes a COPY of `rows` sends, made by psycopg's own row writer without sending them
    (its `FileWriter`), so that another thread can send them at once."""
    out = io.BytesIO()
    count = 0
    with db.connection.cursor() as raw, Copy(raw, writer=FileWriter(out)) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return CopyData(out.getvalue(), count)


_plans: dict[type[models.Model], RowPlan] = {}


def _row(obj: models.Model, plan: RowPlan) -> list[Any]:
    obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
    return plan.values(obj)
