"""Reads: which caps apply, how full they are, and the money reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from contactsource.prepared import Statement, prepared_rows
from finance.capstate import CapState, cap_state_build, state_fill
from finance.forecast import CapForecast, cap_forecast
from finance.models import Cap, CapScope, LedgerEntry, LedgerKind


def cap_applies(cap: Cap, *, source_id: int, utm_source: str) -> bool:
    """The rule: a contact from this source (with this utm_source) counts against this cap of
    its campaign. Every path asks it (this module's query, the intake's per-process cache)."""
    if cap.source_id not in (None, source_id):
        return False
    if cap.scope == CapScope.CAMPAIGN:
        return True
    return bool(utm_source) and cap.scope == CapScope.UTM_SOURCE and cap.utm_source == utm_source


def caps_applicable(*, campaign_id: int, source_id: int, utm_source: str) -> list[Cap]:
    """Active caps this contact counts against, in lock order (by id). One query."""
    caps = Cap.objects.filter(campaign_id=campaign_id, is_active=True).order_by("pk")
    return [c for c in caps if cap_applies(c, source_id=source_id, utm_source=utm_source)]


# Each cap's counter rows from its window's start: one text whatever the number of caps, so it
# is prepared once per connection (contactsource.prepared).
COUNTER_ROWS_SQL = (
    "SELECT k.cap_id, k.window_start, k.used FROM finance_capcounter k "
    "JOIN unnest(%s::bigint[], %s::timestamptz[]) AS w(cap_id, since) "
    "ON k.cap_id = w.cap_id AND k.window_start >= w.since "
    "ORDER BY k.cap_id, k.window_start"
)


def counter_rows_statement(states: Iterable[CapState]) -> Statement | None:
    """The statement reading each cap's counter rows inside its window (None: no caps)."""
    since: dict[int, datetime] = {}
    for state in states:
        pk = state.cap.pk
        since[pk] = min(since.get(pk, state.window.start), state.window.start)
    if not since:
        return None
    return COUNTER_ROWS_SQL, [list(since), list(since.values())]


def counter_rows_read(
    rows: Iterable[tuple[Any, ...]],
) -> dict[int, list[tuple[datetime, Decimal]]]:
    """`counter_rows_statement`'s rows, by cap id."""
    by_cap: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for cap_id, start, used in rows:
        by_cap[cap_id].append((start, Decimal(used)))
    return by_cap


def counter_rows(states: Iterable[CapState]) -> dict[int, list[tuple[datetime, Decimal]]]:
    """Each cap's counter rows inside its window (one query for all of them)."""
    statement = counter_rows_statement(states)
    if statement is None:
        return defaultdict(list)
    return counter_rows_read(prepared_rows([statement])[0])


def caps_state(*, caps: list[Cap], at: datetime, cost: Decimal, timezone: str) -> list[CapState]:
    """How full each cap is and whether this contact would fit, without taking anything."""
    states = caps_states_build(caps=caps, at=at, cost=cost, timezone=timezone)
    return caps_fill(states, counter_rows(states))


def caps_states_build(
    *, caps: list[Cap], at: datetime, cost: Decimal, timezone: str
) -> list[CapState]:
    """Each cap's state for a contact of this cost at this time, before its counters are read."""
    return [cap_state_build(cap, at=at, cost=cost, timezone=timezone) for cap in caps]


def caps_fill(
    states: list[CapState], rows: dict[int, list[tuple[datetime, Decimal]]]
) -> list[CapState]:
    """The states filled from their counter rows (`counter_rows`), each told whether it fits."""
    for state in states:
        state_fill(state, rows.get(state.cap.pk, []))
        state.hit = not state.fits
    return states


def caps_usage(
    *,
    at: datetime,
    campaign_id: int | None = None,
    source_id: int | None = None,
) -> list[CapForecast]:
    """Every active cap's use in its current window and its forecast (the caps dashboard).
    Two queries whatever the number of caps."""
    caps = Cap.objects.filter(is_active=True).select_related("campaign", "source")
    if campaign_id is not None:
        caps = caps.filter(campaign_id=campaign_id)
    if source_id is not None:
        caps = caps.filter(source_id=source_id)
    states = [
        cap_state_build(cap, at=at, cost=Decimal("0"), timezone=cap.campaign.timezone)
        for cap in caps.order_by("campaign_id", "source_id", "pk")
    ]
    rows = counter_rows(states)
    return [cap_forecast(state_fill(state, rows.get(state.cap.pk, []))) for state in states]


@dataclass(frozen=True)
class MoneyTotals:
    """Cost, revenue and margin of one group (a source, a campaign or a day), net of reversals."""

    key: Any
    cost: Decimal
    revenue: Decimal
    contacts: int  # accepted contacts charged, minus those whose charge was reversed

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


GroupBy = Literal["source", "campaign", "day"]
_ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=4))


def _line(kind: str) -> Q:
    """Rows that move a money line: its own rows and the reversals of them."""
    return Q(kind=kind) | Q(kind=LedgerKind.REVERSAL, reverses__kind=kind)


def ledger_totals(
    *,
    group_by: GroupBy,
    since: datetime | None = None,
    until: datetime | None = None,
    source_id: int | None = None,
    campaign_id: int | None = None,
    timezone: str = "UTC",
) -> list[MoneyTotals]:
    """Cost, revenue and margin per source, campaign or day (days in `timezone`), one query."""
    entries = LedgerEntry.objects.all()
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    if source_id is not None:
        entries = entries.filter(source_id=source_id)
    if campaign_id is not None:
        entries = entries.filter(campaign_id=campaign_id)
    if group_by == "day":
        entries = entries.annotate(group=TruncDate("created_at", tzinfo=ZoneInfo(timezone)))
    else:
        entries = entries.annotate(group=F(f"{group_by}_id"))
    cost_rows = Q(kind=LedgerKind.COST)
    reversed_cost = Q(kind=LedgerKind.REVERSAL, reverses__kind=LedgerKind.COST)
    rows = (
        entries.values("group")
        .annotate(
            cost=Coalesce(Sum("amount", filter=_line(LedgerKind.COST)), _ZERO),
            revenue=Coalesce(Sum("amount", filter=_line(LedgerKind.REVENUE)), _ZERO),
            charged=Count("pk", filter=cost_rows),
            reversed=Count("pk", filter=reversed_cost),
        )
        .order_by("group")
    )
    return [
        MoneyTotals(
            key=row["group"],
            cost=row["cost"],
            revenue=row["revenue"],
            contacts=row["charged"] - row["reversed"],
        )
        for row in rows
    ]
