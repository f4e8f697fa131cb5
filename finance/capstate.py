"""How full a cap is at an instant, from its counter rows (pure: no queries here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from finance.describe import money
from finance.models import Cap, CapKind
from finance.windows import (
    CapDuration,
    Window,
    bucket_frees_at,
    seconds_until,
    window_at,
)

ONE = Decimal("1")


@dataclass
class CapState:
    """A cap seen by one contact: `used` counts this contact once it has been admitted."""

    cap: Cap
    duration: CapDuration
    window: Window
    amount: Decimal  # what this contact adds: 1, or its cost for a budget
    at: datetime
    used: Decimal = Decimal("0")
    buckets: list[tuple[datetime, Decimal]] = field(default_factory=list)
    hit: bool = False

    @property
    def limit(self) -> Decimal:
        return self.cap.limit

    @property
    def remaining(self) -> Decimal:
        return max(Decimal("0"), self.limit - self.used)

    @property
    def fits(self) -> bool:
        """Would this contact still fit (budgets admit one that lands exactly on the limit)."""
        return self.used + self.amount <= self.limit

    def reset_seconds(self) -> int:
        """Seconds until the window gives room back: its end, or its oldest bucket expiring."""
        if self.window.end is not None:
            return seconds_until(self.window.end, self.at)
        for key, used in sorted(self.buckets):
            if used > 0:
                return seconds_until(bucket_frees_at(self.duration, key), self.at)
        return seconds_until(self.at + self.window.length, self.at)

    def retry_after(self) -> int:
        """Seconds until this contact would fit, if nothing else is admitted meanwhile."""
        if self.window.end is not None or self.amount > self.limit:
            return self.reset_seconds()
        still = self.used
        for key, used in sorted(self.buckets):
            still -= used
            if still + self.amount <= self.limit:
                return seconds_until(bucket_frees_at(self.duration, key), self.at)
        return self.reset_seconds()

    def as_dict(self) -> dict[str, Any]:
        """The verbose answer's view of this cap."""
        quantity = self.cap.kind == CapKind.QUANTITY

        def show(value: Decimal) -> int | str:
            return int(value) if quantity else money(value)

        return {
            "id": self.cap.pk,
            "description": self.cap.describe(),
            "duration": self.duration.text,
            "hit": self.hit,
            "kind": self.cap.kind,
            "limit": show(self.limit),
            "remaining": show(self.remaining),
            "resetIn": self.reset_seconds(),
            "scope": self.cap.scope,
            "used": show(self.used),
            "windowStart": self.window.start.isoformat(),
        }


def cap_amount(cap: Cap, cost: Decimal) -> Decimal:
    return cost if cap.kind == CapKind.BUDGET else ONE


def cap_state_build(cap: Cap, *, at: datetime, cost: Decimal, timezone: str) -> CapState:
    duration = cap.parsed_duration
    return CapState(
        cap=cap,
        duration=duration,
        window=window_at(duration, at, timezone),
        amount=cap_amount(cap, cost),
        at=at,
    )


def counted(state: CapState, window_start: datetime) -> bool:
    """Does a counter row belong to this state's window?"""
    if state.window.end is not None:
        # Calendar: exactly this window's row (a later request may already have opened the next).
        return window_start == state.window.start
    return window_start >= state.window.start


def state_fill(state: CapState, rows: list[tuple[datetime, Decimal]]) -> CapState:
    state.buckets = [(start, used) for start, used in rows if counted(state, start)]
    state.used = sum((used for _start, used in state.buckets), Decimal("0"))
    return state


def tightest(states: list[CapState]) -> CapState | None:
    """The cap that binds hardest: a hit one that frees last, else the least room left."""
    hit = [s for s in states if s.hit]
    if hit:
        return max(hit, key=lambda s: (s.retry_after(), -s.cap.pk))
    return min(states, key=lambda s: (s.remaining / s.limit, s.cap.pk), default=None)


def tightest_quantity(states: list[CapState]) -> CapState | None:
    quantity = [s for s in states if s.cap.kind == CapKind.QUANTITY]
    return min(quantity, key=lambda s: (s.remaining, -s.reset_seconds(), s.cap.pk), default=None)
