"""When will a cap be reached at the current pace? (pure: from a filled CapState)

Calendar windows: the pace is the window's own average so far (used / time elapsed); the cap is
reached at `now + remaining / pace` if that is before the window ends, and `projected` is what
the window will hold at its end.

Rolling windows: the pace is that of the most recent quarter of the window (at least one
bucket), so a burst shows; the count then moves by that pace in and by the known buckets out
as they age past the window, and `projected` is the steady state (pace x duration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from finance.capstate import CapState
from finance.windows import bucket_frees_at

_HOUR = Decimal(3600)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class CapForecast:
    state: CapState
    pace_per_hour: Decimal  # contacts (or money, for a budget) per hour
    projected: Decimal
    reached_at: datetime | None  # None: not reached at this pace (in this window)

    @property
    def percent(self) -> Decimal:
        return (self.state.used * 100 / self.state.limit).quantize(Decimal("0.1"))

    @property
    def projected_percent(self) -> Decimal:
        return (self.projected * 100 / self.state.limit).quantize(Decimal("0.1"))


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(str(delta.total_seconds()))


def _after(at: datetime, seconds: Decimal) -> datetime:
    return at + timedelta(seconds=float(seconds))


def _calendar(state: CapState) -> CapForecast:
    assert state.window.end is not None
    at, used, limit = state.at, state.used, state.limit
    elapsed = _seconds(at - state.window.start)
    pace = used / elapsed if elapsed > 0 else Decimal("0")
    projected = used + pace * _seconds(state.window.end - at)
    reached_at = None
    if used >= limit:
        reached_at = at
    elif pace > 0:
        when = _after(at, (limit - used) / pace)
        reached_at = when if when < state.window.end else None
    return CapForecast(state, (pace * _HOUR).quantize(_CENT), projected.quantize(_CENT), reached_at)


def _rolling(state: CapState) -> CapForecast:
    at, limit, length = state.at, state.limit, state.window.length
    recent_span = max(length / 4, timedelta(seconds=state.duration.bucket_seconds))
    recent = sum((u for key, u in state.buckets if key >= at - recent_span), Decimal("0"))
    pace = recent / _seconds(recent_span)
    count, t, reached_at = state.used, at, None
    if count >= limit:
        reached_at = at
    for key, used in sorted(state.buckets):
        if reached_at is not None:
            break
        frees = max(bucket_frees_at(state.duration, key), t)
        if pace > 0 and count + pace * _seconds(frees - t) >= limit:
            reached_at = _after(t, (limit - count) / pace)
            break
        count += pace * _seconds(frees - t) - used
        t = frees
    if reached_at is None and pace * _seconds(length) >= limit:
        # Every counted bucket has aged out: from here on only the new arrivals count.
        reached_at = max(t, _after(at, limit / pace))
    projected = pace * _seconds(length)
    return CapForecast(state, (pace * _HOUR).quantize(_CENT), projected.quantize(_CENT), reached_at)


def cap_forecast(state: CapState) -> CapForecast:
    return _rolling(state) if state.window.end is None else _calendar(state)
