"""Caps in words, for 429 messages, verbose answers and the admin."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import isodate

from finance.windows import CapDuration

if TYPE_CHECKING:
    from finance.models import Cap


def money(value: Decimal) -> str:
    """At least two decimals, more only when they matter: 500.00, 0.125."""
    cents = value.quantize(Decimal("0.01"))
    return str(cents) if cents == value else str(value.normalize())


def _count(number: int, unit: str) -> str:
    return unit if number == 1 else f"{number} {unit}s"


def duration_words(duration: CapDuration) -> str:
    if not duration.rolling:
        return f"per {duration.unit}"
    delta = duration.delta
    if isinstance(delta, isodate.Duration) and (delta.months or delta.years):
        months = int(delta.years * 12 + delta.months)
        if not delta.tdelta:
            return (
                f"in any {_count(months, 'month')}"
                if months % 12
                else (f"in any {_count(months // 12, 'year')}")
            )
        return f"in any {duration.text}"
    seconds = int(duration.nominal.total_seconds())
    if seconds == 86400:
        return "in any 24 hours"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            return f"in any {_count(seconds // size, unit)}"
    return f"in any {_count(seconds, 'second')}"


def cap_describe(cap: Cap) -> str:
    from finance.models import CapKind, CapScope

    if cap.kind == CapKind.BUDGET:
        amount = f"{money(cap.limit)} spent"
    else:
        amount = f"{int(cap.limit)} contact{'s' if cap.limit != 1 else ''}"
    try:
        when = duration_words(cap.parsed_duration)
    except ValueError:
        when = f"per {cap.duration}"
    where = "this campaign" if cap.source_id else "this campaign across all sources"
    if cap.scope == CapScope.UTM_SOURCE:
        where = f"utm_source '{cap.utm_source}' in {where}"
    return f"no more than {amount} {when} for {where}"
