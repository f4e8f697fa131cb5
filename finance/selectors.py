"""Reads: which caps apply, how full they are, and the money reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from finance.capstate import CapState, cap_state_build, state_fill
from finance.models import Cap, CapCounter, CapScope


def caps_applicable(*, campaign_id: int, source_id: int, utm_source: str) -> list[Cap]:
    """Active caps this contact counts against, in lock order (by id). One query."""
    utm = Q(scope=CapScope.CAMPAIGN)
    if utm_source:
        utm |= Q(scope=CapScope.UTM_SOURCE, utm_source=utm_source)
    return list(
        Cap.objects.filter(
            Q(source__isnull=True) | Q(source_id=source_id),
            utm,
            campaign_id=campaign_id,
            is_active=True,
        ).order_by("pk")
    )


def counter_rows(states: Iterable[CapState]) -> dict[int, list[tuple[datetime, Decimal]]]:
    """Each cap's counter rows inside its window (one query for all of them)."""
    wanted = Q()
    for state in states:
        wanted |= Q(cap_id=state.cap.pk, window_start__gte=state.window.start)
    rows: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    if not wanted:
        return rows
    for cap_id, start, used in CapCounter.objects.filter(wanted).values_list(
        "cap_id", "window_start", "used"
    ):
        rows[cap_id].append((start, Decimal(used)))
    return rows


def caps_state(*, caps: list[Cap], at: datetime, cost: Decimal, timezone: str) -> list[CapState]:
    """How full each cap is and whether this contact would fit, without taking anything."""
    states = [cap_state_build(cap, at=at, cost=cost, timezone=timezone) for cap in caps]
    rows = counter_rows(states)
    for state in states:
        state_fill(state, rows.get(state.cap.pk, []))
        state.hit = not state.fits
    return states
