"""Retry backoff and quiet hours: pure functions of time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from tracker.notify.timing import (
    RETRY_AFTER_CAP_S,
    QuietHours,
    parse_quiet_hours,
    quiet_until,
    retry_delay,
)

MID = lambda: 0.5  # noqa: E731 - rand() at the middle: no jitter


@pytest.mark.parametrize(
    ("attempts", "expected"), [(1, 30.0), (2, 60.0), (3, 120.0), (4, 240.0), (8, 3600.0)]
)
def test_backoff_doubles_up_to_the_cap(attempts: int, expected: float) -> None:
    assert retry_delay(attempts, rand=MID) == pytest.approx(expected)


def test_backoff_never_overflows_on_huge_attempt_counts() -> None:
    assert retry_delay(10_000, rand=MID) == pytest.approx(3600.0)


def test_jitter_spreads_by_twenty_percent_either_way() -> None:
    assert retry_delay(2, rand=lambda: 0.0) == pytest.approx(48.0)
    assert retry_delay(2, rand=lambda: 1.0) == pytest.approx(72.0)
    spread = {round(retry_delay(3), 3) for _ in range(50)}
    assert len(spread) > 1 and all(96.0 <= d <= 144.0 for d in spread)


def test_retry_after_is_a_floor_not_a_ceiling() -> None:
    assert retry_delay(1, retry_after=600, rand=MID) == pytest.approx(600.0)
    assert retry_delay(6, retry_after=5, rand=MID) == pytest.approx(960.0)
    assert retry_delay(1, retry_after=10 * 86400, rand=MID) == RETRY_AFTER_CAP_S


PLUS2 = timezone(timedelta(hours=2))


def at(hh: int, mm: int = 0, day: int = 10) -> datetime:
    """A UTC instant that is hh:mm in UTC+2."""
    return datetime(2026, 3, day, hh, mm, tzinfo=PLUS2).astimezone(UTC)


def test_parse_quiet_hours() -> None:
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours("22:00-07:30") == QuietHours(time(22, 0), time(7, 30))
    assert parse_quiet_hours(" 9:05 - 17:00 ") == QuietHours(time(9, 5), time(17, 0))
    for bad in ("22-07", "25:00-07:00", "22:00-07:61", "night"):
        with pytest.raises(ValueError):
            parse_quiet_hours(bad)


def test_window_past_midnight_holds_until_the_morning() -> None:
    assert quiet_until("22:00-07:00", at(23, 30), PLUS2) == at(7, day=11)
    assert quiet_until("22:00-07:00", at(3), PLUS2) == at(7)
    assert quiet_until("22:00-07:00", at(22), PLUS2) == at(7, day=11)
    assert quiet_until("22:00-07:00", at(7), PLUS2) is None
    assert quiet_until("22:00-07:00", at(12), PLUS2) is None


def test_window_within_a_day() -> None:
    assert quiet_until("12:00-13:30", at(12, 59), PLUS2) == at(13, 30)
    assert quiet_until("12:00-13:30", at(11, 59), PLUS2) is None
    assert quiet_until("12:00-12:00", at(12), PLUS2) is None  # empty window


def test_result_is_in_the_callers_timezone() -> None:
    end = quiet_until("22:00-07:00", at(23), PLUS2)
    assert end is not None and end.tzinfo == UTC


def test_default_timezone_is_the_machines_local_time() -> None:
    local_night = datetime.now().astimezone().replace(hour=23, minute=0, second=0, microsecond=0)
    end = quiet_until("22:00-07:00", local_night.astimezone(UTC))
    assert end is not None
    assert end.astimezone().hour == 7 and end > local_night
