"""COPY's text for the values psycopg writes slowly, made a column at a time.

psycopg's C row writer takes int, str, bool, Decimal, float and None at about half a
microsecond each, but an aware datetime took 3-4 µs (its dumper is chosen again for every value,
by its tzinfo), a JSON document 4-11 µs (Django's `Jsonb` wrapper, then psycopg's Python
dumper), a UUID 1.5 µs and an IP address 4 µs: about 70 ms of a 1,000-contact batch's seven
COPYs. COPY's text format reads every value as its column's type, so handing psycopg the very
text those dumpers make (`str()` of a datetime or an address, the UUID's 32 hex digits, the
JSON document from the same `dumps`) stores the same values. A batch's timestamps and client
address repeat, so each distinct one is turned into text once.

Only `contactsource.rowplans.CopyPlan` uses this: the text is right for COPY, not for a query
parameter (a str parameter is not a timestamp or jsonb).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from django.db import models
from psycopg.types.json import Json, Jsonb


def _json_text(value: Any) -> Any:
    if isinstance(value, Json | Jsonb):
        return (value.dumps or json.dumps)(value.obj)
    return value


def _datetime_text(value: Any) -> Any:
    # What psycopg's text dumper for an aware datetime writes; a naive one is left to it.
    if type(value) is datetime and value.tzinfo is not None:
        return str(value)
    return value


def _uuid_text(value: Any) -> Any:
    return value.hex if type(value) is uuid.UUID else value


def _address_text(value: Any) -> Any:
    return str(value) if type(value) in (IPv4Address, IPv6Address) else value


def json_column(field: models.JSONField, values: Sequence[Any], db: Any) -> list[Any]:
    """A JSONField's values as COPY text: a dict or list goes straight to the field's `dumps`
    (what `get_db_prep_save` would wrap it with), anything else through the field first."""
    dumps: Callable[[Any], str] = (
        json.dumps if field.encoder is None else lambda v: json.dumps(v, cls=field.encoder)
    )
    return [
        value
        if value is None
        else dumps(value)
        if type(value) in (dict, list)
        else _json_text(field.get_db_prep_save(value, db))
        for value in values
    ]


# Fields (by class, subclasses too) whose prepared values may be of a slow type, with the
# function that turns such a value into text (any other value is left as it is).
_TEXT: tuple[tuple[type[models.Field], Callable[[Any], Any], bool], ...] = (
    # (field class, to text, values repeat within a COPY)
    (models.DateTimeField, _datetime_text, True),
    (models.UUIDField, _uuid_text, False),
    (models.GenericIPAddressField, _address_text, True),
    (models.JSONField, _json_text, False),
)


def text_of(field: models.Field) -> tuple[Callable[[Any], Any], bool] | None:
    """How a column of `field`'s prepared values becomes text, if it needs to."""
    for kind, to_text, repeats in _TEXT:
        if isinstance(field, kind):
            return to_text, repeats
    return None


def column_text(how: tuple[Callable[[Any], Any], bool] | None, values: list[Any]) -> list[Any]:
    """`values` (prepared) with every slow value turned into its COPY text."""
    if how is None:
        return values
    to_text, repeats = how
    if not repeats:
        return [to_text(v) for v in values]
    done: dict[Any, Any] = {}
    out: list[Any] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        text = done.get(value)
        if text is None:
            text = done[value] = to_text(value)
        out.append(text)
    return out
