"""Cap durations and windows: calendar ones in the campaign's timezone, rolling ones in buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from finance.windows import bucket_frees_at, duration_parse, window_at

NY = "America/New_York"


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(NY))


@pytest.mark.parametrize("text", ["PT1H", "P1D", "P7D", "pt30m", "P1M", " day ", "WEEK", "month"])
def test_it_parses_rolling_and_calendar_durations(text):
    parsed = duration_parse(text)
    assert parsed.text == text.strip().upper() or parsed.text == text.strip().lower()


@pytest.mark.parametrize("text", ["", "daily", "1D", "P", "PT0S", "-P1D", "P2Y", "fortnight"])
def test_it_refuses_durations_that_do_not_parse_or_are_out_of_range(text):
    with pytest.raises(ValueError):
        duration_parse(text)


def test_a_calendar_day_starts_at_local_midnight_in_the_campaigns_timezone():
    # 02:30 UTC on the 10th is still the 9th in New York.
    window = window_at(duration_parse("day"), datetime(2024, 1, 10, 2, 30, tzinfo=UTC), NY)
    assert window.start == local(2024, 1, 9)
    assert window.end == local(2024, 1, 10)
    assert window.key == window.start


def test_a_calendar_week_starts_on_monday_not_on_the_coming_sunday():
    # Wednesday 2024-01-10: the anchor's week started on Sunday the 14th (in the future).
    window = window_at(duration_parse("week"), local(2024, 1, 10, 15), NY)
    assert window.start == local(2024, 1, 8)
    assert window.start.astimezone(ZoneInfo(NY)).weekday() == 0
    assert window.end == local(2024, 1, 15)


def test_a_sunday_belongs_to_the_week_that_started_the_monday_before():
    window = window_at(duration_parse("week"), local(2024, 1, 14, 23, 59), NY)
    assert window.start == local(2024, 1, 8)


def test_calendar_months_and_years_start_on_the_first_and_on_january_first():
    month = window_at(duration_parse("month"), local(2024, 2, 29, 12), NY)
    assert (month.start, month.end) == (local(2024, 2, 1), local(2024, 3, 1))
    year = window_at(duration_parse("year"), local(2024, 12, 31, 23, 59), NY)
    assert (year.start, year.end) == (local(2024, 1, 1), local(2025, 1, 1))


def test_a_calendar_day_follows_daylight_saving_time():
    window = window_at(duration_parse("day"), local(2024, 3, 10, 12), NY)
    assert window.length == timedelta(hours=23)


def test_a_rolling_window_is_never_shorter_than_its_duration():
    duration = duration_parse("PT1H")
    at = datetime(2024, 1, 10, 12, 0, 30, tzinfo=UTC)
    window = window_at(duration, at, NY)
    assert duration.bucket_seconds == 60
    assert window.key == datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
    assert window.start == datetime(2024, 1, 10, 11, 0, tzinfo=UTC)
    assert at - window.start >= timedelta(hours=1)
    assert window.end is None


def test_a_rolling_bucket_stops_counting_once_the_duration_has_passed_it():
    duration = duration_parse("PT1H")
    key = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
    frees = bucket_frees_at(duration, key)
    assert frees == datetime(2024, 1, 10, 13, 1, tzinfo=UTC)
    assert window_at(duration, frees - timedelta(microseconds=1), NY).start <= key
    assert window_at(duration, frees, NY).start > key
