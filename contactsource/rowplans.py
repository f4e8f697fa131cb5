"""How model rows become database values without `save()`: for COPY rows and for the single
post's one write statement.

`RowPlan` turns instances, or the values a new instance would get, into what `save()` would
send (`pre_save(add=True)`, then `get_db_prep_save`), skipping both where they change nothing.
`CopyPlan` builds COPY rows of a model from tuples of values for some of its columns, every
other column taking what a new instance would. `_not_given` is the one rule both follow for a
field no value is given for. Split from `contactsource.bulk`, which writes the rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import repeat
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

from contactsource.copytext import column_text, json_column, text_of


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
    COPY rows (contactsource.bulk), and the intake's one write statement
    (ingest.services.write)."""

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
