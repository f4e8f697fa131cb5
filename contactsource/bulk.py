"""Insert many model rows fast: PostgreSQL's COPY, with the ids drawn from the sequence first.

Django's `bulk_create` on PostgreSQL sends one array per column (`INSERT … SELECT * FROM
UNNEST(…)`), and psycopg writes text arrays in Python, escaping every element: for the batch
intake's thousand contacts and events that was a quarter of the request. COPY streams the rows
through psycopg's C row writer instead. Ids come from the table's own sequence in one statement,
so every object has its `pk` afterwards, as with `bulk_create`.

Same contract as `bulk_create(objs)` for plain rows: `pre_save(add=True)` runs (auto_now_add),
values are prepared by each field (`get_db_prep_save`), objects end up saved. Not for models with
database defaults or multi-table inheritance. Fewer than `COPY_MIN_ROWS` rows take `bulk_create`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

M = TypeVar("M", bound=models.Model)

# Below this, an INSERT costs less than the extra sequence round trip.
COPY_MIN_ROWS = 20


def bulk_insert(model: type[M], objs: Sequence[M]) -> Sequence[M]:
    """Insert `objs` (unsaved instances of `model`) and set their primary keys."""
    if len(objs) < COPY_MIN_ROWS:
        return model._default_manager.bulk_create(objs)
    opts = model._meta
    pk = opts.pk
    assert pk is not None and isinstance(pk, AutoFieldMixin), model
    fields = list(opts.concrete_fields)
    table = connection.ops.quote_name(opts.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        # The sequence is looked up once, not once per row (OFFSET 0 keeps the planner from
        # pulling the lookup into the row loop): pg_get_serial_sequence reads the catalog, and a
        # thousand calls cost more than the rows (3x the whole batch's time on a new database,
        # whose catalog had no statistics yet).
        cursor.execute(
            "SELECT nextval(seq.id) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS id"
            " OFFSET 0) AS seq, generate_series(1, %s)",
            [opts.db_table, pk.column, len(objs)],
        )
        for obj, (new_id,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = new_id
        plan = _plans.get(model)
        if plan is None:
            plan = _plans[model] = RowPlan(fields)
        rows = [_row(obj, plan) for obj in objs]
        raw: Any = cursor.cursor  # psycopg's own cursor, under Django's wrapper
        sql = f"COPY {table} ({columns}) FROM STDIN"
        started = time.monotonic()
        # Django's wrapper maps psycopg's errors (a unique violation is an IntegrityError).
        with connection.wrap_database_errors, raw.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        if connection.queries_logged:
            # Django's debug cursor does not see COPY: log it, so query counts stay honest.
            took = f"{time.monotonic() - started:.3f}"
            connection.queries_log.append({"sql": f"{sql} -- {len(rows)} rows", "time": took})
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _is_str(value: Any) -> bool:
    return type(value) is str


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
        self.plan: _Plan = []
        for f in fields:
            if isinstance(f, models.DateField):
                pre = bool(f.auto_now or f.auto_now_add)
            else:
                pre = type(f).pre_save is not models.Field.pre_save
            self.plan.append((f, pre, _AS_IS.get(type(f))))

    def values(self, obj: models.Model) -> list[Any]:
        row = []
        for f, pre, as_is in self.plan:
            value = f.pre_save(obj, True) if pre else getattr(obj, f.attname)
            if as_is is None or not (value is None or as_is(value)):
                value = f.get_db_prep_save(value, connection)
            row.append(value)
        return row


_plans: dict[type[models.Model], RowPlan] = {}


def _row(obj: models.Model, plan: RowPlan) -> list[Any]:
    obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
    return plan.values(obj)
