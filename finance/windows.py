"""Cap durations and their windows: pure functions of a duration, an instant and a timezone.

Two kinds of duration (see docs/caps-and-finance.md):
- calendar: `day`, `week` (from Monday), `month`, `year`, starting at local midnight in the
  campaign's timezone; one counter row per window, keyed by the window's first instant;
- rolling: any positive ISO 8601 duration (`PT1H`, `P1D`, `P7D`, `P1M`); counters are small
  epoch-aligned buckets (a sixtieth of the duration) summed over the window.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeAlias
from zoneinfo import ZoneInfo

import isodate


class CalendarUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


CALENDAR_UNITS = tuple(unit.value for unit in CalendarUnit)
# A rolling window is summed from this many buckets (one more at its oldest edge).
ROLLING_BUCKETS = 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Nominal lengths (for bucket sizes) are measured from a fixed date so they never change.
_NOMINAL_FROM = datetime(2001, 1, 1, tzinfo=UTC)
MAX_ROLLING = timedelta(days=366)
MIN_ROLLING = timedelta(seconds=1)

RollingDelta: TypeAlias = timedelta | isodate.Duration


@dataclass(frozen=True)
class CapDuration:
    """A parsed cap duration: either a calendar unit or a rolling ISO 8601 delta."""

    text: str
    unit: str = ""  # calendar unit, or "" for rolling
    delta: RollingDelta | None = None

    @property
    def rolling(self) -> bool:
        return not self.unit

    @property
    def nominal(self) -> timedelta:
        if self.delta is None:
            return {"day": timedelta(days=1), "week": timedelta(days=7)}.get(
                self.unit, timedelta(days=30 if self.unit == "month" else 365)
            )
        return (_NOMINAL_FROM + self.delta) - _NOMINAL_FROM

    @property
    def bucket_seconds(self) -> int:
        return max(1, int(self.nominal.total_seconds()) // ROLLING_BUCKETS)


@functools.lru_cache(maxsize=512)
def duration_parse(text: str) -> CapDuration:
    """`day|week|month|year` or a positive ISO 8601 duration; raises ValueError otherwise.
    Cached: every post parses its caps' durations, and a parsed one is frozen."""
    value = (text or "").strip()
    if value.lower() in CALENDAR_UNITS:
        return CapDuration(text=value.lower(), unit=value.lower())
    try:
        delta = isodate.parse_duration(value.upper())
    except (isodate.ISO8601Error, ValueError) as exc:
        raise ValueError(
            f"'{value}' is not a duration. Use an ISO 8601 duration such as PT1H, P1D or P7D "
            "(rolling), or day, week, month or year (calendar)."
        ) from exc
    parsed = CapDuration(text=value.upper(), delta=delta)
    if not MIN_ROLLING <= parsed.nominal <= MAX_ROLLING:
        raise ValueError("A rolling duration must be between 1 second and 366 days.")
    return parsed


@dataclass(frozen=True)
class Window:
    """Where one instant falls for a cap.

    `start`: counters with `window_start >= start` are counted; `key`: the counter row this
    instant adds to; `end`: when a calendar window ends (None for rolling ones).
    """

    start: datetime
    key: datetime
    end: datetime | None
    length: timedelta


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # Where midnight does not exist (a DST jump at 00:00), fold=0 maps it to the first instant
    # of that local day, which is what a calendar day should start at.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _calendar_bounds(unit: str, local: datetime) -> tuple[date, date]:
    today = local.date()
    if unit == "day":
        return today, today + timedelta(days=1)
    if unit == "week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=7)
    if unit == "month":
        first = today.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1)
    first = today.replace(month=1, day=1)
    return first, first.replace(year=first.year + 1)


def bucket_start(at: datetime, seconds: int) -> datetime:
    stamp = math.floor((at - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=stamp - stamp % seconds)


def window_at(duration: CapDuration, at: datetime, timezone: str) -> Window:
    if duration.rolling:
        assert duration.delta is not None
        size = duration.bucket_seconds
        # The bucket holding `at - duration` is still counted: the window is never shorter than
        # the duration (at most one bucket longer), so a cap is never exceeded in any real window.
        start = bucket_start(at - duration.delta, size)
        return Window(
            start=start, key=bucket_start(at, size), end=None, length=at + duration.delta - at
        )
    tz = ZoneInfo(timezone)
    first, after = _calendar_bounds(duration.unit, at.astimezone(tz))
    start, end = _local_midnight(first, tz), _local_midnight(after, tz)
    return Window(start=start, key=start, end=end, length=end - start)


def bucket_frees_at(duration: CapDuration, key: datetime) -> datetime:
    """When what was counted in a rolling bucket stops being counted."""
    assert duration.delta is not None
    return key + timedelta(seconds=duration.bucket_seconds) + duration.delta


def seconds_until(later: datetime, now: datetime) -> int:
    return max(1, math.ceil((later - now).total_seconds()))
