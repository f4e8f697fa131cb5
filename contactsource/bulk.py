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
their values are prepared come from the model's `_meta` once per process (`CopyPlan`).

`copies_overlapped` lets the database work on one COPY while Python builds the next
(contactsource/copyqueue.py).
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import repeat
from typing import Any, Protocol, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from psycopg.copy import Copy, FileWriter

from contactsource.copytext import column_text, json_column, text_of

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


def _is_str(value: Any) -> bool:
    # Any str: a TextChoices member too (CharField.to_python returns a str as it is).
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_aware(value: Any) -> bool:
    return type(value) is datetime and value.tzinfo is not None


def _is_decimal(value: Any) -> bool:
    return type(value) is Decimal and value.is_finite()


def _of(kind: type) -> Callable[[Any], bool]:
    return lambda value: type(value) is kind


# Fields (these exact classes) whose `get_db_prep_save` gives psycopg a value of one of these
# types unchanged on PostgreSQL: such a value is written as it is. Preparing every value through
# Django was half of a 1,000-contact batch's Python time; anything else (JSON, IP addresses,
# naive datetimes, subclasses) still takes `get_db_prep_save`.
_AS_IS: dict[type[models.Field], Callable[[Any], bool]] = {
    models.CharField: _is_str,
    models.EmailField: _is_str,
    models.TextField: _is_str,
    models.IntegerField: _is_int,
    models.SmallIntegerField: _is_int,
    models.BigIntegerField: _is_int,
    models.PositiveIntegerField: _is_int,
    models.PositiveSmallIntegerField: _is_int,
    models.PositiveBigIntegerField: _is_int,
    models.AutoField: _is_int,
    models.BigAutoField: _is_int,
    models.ForeignKey: _is_int,
    models.BooleanField: _of(bool),
    models.FloatField: _of(float),
    models.DateTimeField: _is_aware,
    models.DecimalField: _is_decimal,
    models.UUIDField: _of(uuid.UUID),
    models.DurationField: _of(timedelta),
}

_Plan = list[tuple[models.Field, bool, Callable[[Any], bool] | None]]


class RowPlan:
    """How to turn instances into database values for a list of fields, as `save()` would
    (`pre_save(add=True)`, then `get_db_prep_save`), skipping both where they change nothing:
    COPY rows here, and the intake's one write statement (ingest.services.write)."""

    def __init__(self, fields: Sequence[models.Field]) -> None:
        self.plan: _Plan = [(f, _sets_on_save(f), _AS_IS.get(type(f))) for f in fields]
        # What new_values gives a field not in `given` (or set on save): _not_given's rule.
        self.not_given = [_not_given_or_refused(f) for f in fields]

    def values(self, obj: models.Model) -> list[Any]:
        db = _db()
        return [
            _prepared(f, as_is, f.pre_save(obj, True) if pre else getattr(obj, f.attname), db)
            for f, pre, as_is in self.plan
        ]

    def new_values(self, given: Mapping[str, Any]) -> list[Any]:
        """`values(model(**given))` without building the instance (its `__init__` cost more
        than the values): a field not given, or set on save, takes what `_not_given` says, as
        CopyPlan's rows do. `given` by attname."""
        db = _db()
        out = []
        for (f, pre, as_is), make in zip(self.plan, self.not_given, strict=True):
            value = given[f.attname] if not pre and f.attname in given else make()
            out.append(_prepared(f, as_is, value, db))
        return out


_plans: dict[type[models.Model], RowPlan] = {}


def _row(obj: models.Model, plan: RowPlan) -> list[Any]:
    obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
    return plan.values(obj)


def _db() -> Any:
    """The connection itself: `django.db.connection` is a proxy that looks it up again on
    every attribute (`connection.ops` inside each field's `get_db_prep_save`)."""
    return connections[DEFAULT_DB_ALIAS]


def _prepared(field: models.Field, as_is: Callable[[Any], bool] | None, value: Any, db: Any) -> Any:
    if as_is is None or not (value is None or as_is(value)):
        value = field.get_db_prep_save(value, db)
    return value


# Fields whose prepared value depends on the value alone: a str value is prepared once per
# distinct value in a COPY (a batch's events share the client's IP).
_SAME_FOR_SAME = frozenset({models.GenericIPAddressField})
_MISSING = object()


def _sets_on_save(field: models.Field) -> bool:
    """`pre_save(add=True)` gives something other than the attribute (auto_now and the like)."""
    if isinstance(field, models.DateField):
        return bool(field.auto_now or field.auto_now_add)
    return type(field).pre_save is not models.Field.pre_save


def _not_given(field: models.Field) -> tuple[Callable[[], Any], bool]:
    """What a new row's field gets when no value is given for it, as `__init__` and then
    `pre_save(add=True)` would give it: (make, per_row). An auto_now(_add) date-time: the time
    (`DateTimeField.pre_save`); a callable default (uuid4, dict): called for each row; any other
    default: the same value for every row (`per_row` False). Other values set on save, and
    database defaults, are not known here: NotImplementedError."""
    if type(field) is models.DateTimeField and (field.auto_now or field.auto_now_add):
        return timezone.now, True
    if _sets_on_save(field) or (field.has_db_default() and not field.has_default()):
        raise NotImplementedError(f"{field.model.__name__}.{field.name}: give it a value")
    if field.has_default() and callable(field.default):
        return field.default, True
    value = field.get_default()
    return (lambda: value), False


def _not_given_or_refused(field: models.Field) -> Callable[[], Any]:
    """`_not_given`'s make, or one raising its NotImplementedError when a row needs it."""
    try:
        return _not_given(field)[0]
    except NotImplementedError as exc:
        refused = exc

        def refuse() -> Any:
            raise refused

        return refuse


class CopyPlan:
    """COPY rows of `model` from tuples of values for `columns` (attnames, not the pk), as a new
    instance `model(**dict(zip(columns, row)))` would be written: every other column takes what
    `__init__` and `pre_save(add=True)` would give it (`_not_given`, the rule `RowPlan`'s
    `new_values` follows too); every value is prepared as `RowPlan` prepares it."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
        unknown = [c for c in columns if c not in fields]
        if unknown or len(set(columns)) != len(columns):
            raise TypeError(f"{model.__name__}: unknown or repeated columns in {list(columns)}")
        self.given = [(fields[c], _AS_IS.get(type(fields[c])), text_of(fields[c])) for c in columns]
        for f, _as_is, _how in self.given:
            if _sets_on_save(f):
                raise TypeError(f"{model.__name__}.{f.name} is set on save: leave it out")
        fixed: list[tuple[str, Any]] = []
        self.per_row: list[
            tuple[models.Field, Callable[[Any], bool] | None, Callable[[], Any], Any]
        ]
        self.per_row = []
        for attname, f in fields.items():
            if attname in columns:
                continue
            as_is = _AS_IS.get(type(f))
            make, per_row = _not_given(f)
            if per_row:
                self.per_row.append((f, as_is, make, text_of(f)))
            else:
                value = _prepared(f, as_is, make(), _db())
                fixed.append((attname, column_text(text_of(f), [value])[0]))
        self.fixed = tuple(value for _name, value in fixed)
        columns_of = {attname: str(f.column) for attname, f in fields.items()}
        pk = model._meta.pk
        assert pk is not None
        self.copy_columns = [
            str(pk.column),
            *(columns_of[c] for c in columns),
            *(columns_of[name] for name, _value in fixed),
            *(str(f.column) for f, _as_is, _make, _how in self.per_row),
        ]

    def rows(self, ids: Sequence[int], rows: Sequence[Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
        """The COPY rows, built a column at a time: a column whose values all pass as they are
        (the usual case) costs one quick look at each, and slow types become text
        (`contactsource.copytext`)."""
        db = _db()
        count = len(ids)
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in self.given]
        if len(rows) != count or len(columns) != len(self.given):
            raise ValueError(f"{len(rows)} rows of {len(columns)} values for {count} ids")
        out: list[Iterable[Any]] = [ids]
        for (f, as_is, how), values in zip(self.given, columns, strict=True):
            out.append(column_text(how, _column(f, as_is, values, db)))
        out.extend(repeat(value, count) for value in self.fixed)
        for f, as_is, make, how in self.per_row:
            out.append(column_text(how, [_prepared(f, as_is, make(), db) for _ in range(count)]))
        return zip(*out, strict=False)


def _column(
    field: models.Field, as_is: Callable[[Any], bool] | None, values: Sequence[Any], db: Any
) -> list[Any]:
    """One column's values prepared as `_prepared` prepares each of them."""
    if type(field) is models.JSONField:
        return json_column(field, values, db)
    if as_is is not None and _all_as_is(as_is, values):
        return list(values)
    if type(field) not in _SAME_FOR_SAME:
        return [_prepared(field, as_is, value, db) for value in values]
    memo: dict[Any, Any] = {}
    prepared = []
    for value in values:
        if type(value) is not str:
            prepared.append(_prepared(field, as_is, value, db))
            continue
        done = memo.get(value, _MISSING)
        if done is _MISSING:
            done = memo[value] = _prepared(field, as_is, value, db)
        prepared.append(done)
    return prepared


def _all_as_is(as_is: Callable[[Any], bool], values: Sequence[Any]) -> bool:
    # The two commonest checks inlined: a call per value cost more than the check.
    if as_is is _is_str:
        return all(v is None or isinstance(v, str) for v in values)
    if as_is is _is_int:
        return all(v is None or type(v) is int for v in values)
    return all(v is None or as_is(v) for v in values)


_copy_plans: dict[tuple[type[models.Model], tuple[str, ...]], CopyPlan] = {}


def copy_plan(model: type[models.Model], columns: Sequence[str]) -> CopyPlan:
    key = (model, tuple(columns))
    plan = _copy_plans.get(key)
    if plan is None:
        plan = _copy_plans[key] = CopyPlan(model, columns)
    return plan
