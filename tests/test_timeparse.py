"""Durations and the one Retry-After parser (used by the fetcher and the webhook channel)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from tracker.timeparse import RETRY_AFTER_MAX_S, parse_duration, retry_after_seconds

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("2m", 120), ("1h", 3600), ("1d", 86400), ("1h30m", 5400), ("45", 45)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5 parsecs", "-5m", "0"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)
    assert parse_duration("0", allow_zero=True) == 0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("-30", 0.0),  # a negative delay: retry now
        ("Sun, 01 Mar 2026 12:05:00 GMT", 300.0),
        ("Sun, 01 Mar 2026 14:05:00 +0200", 300.0),
        ("Sun, 01 Mar 2026 12:05:00", 300.0),  # no zone: HTTP-dates are GMT
        ("Sun, 01 Mar 2026 12:05:00 -0000", 300.0),
        ("Sunday, 01-Mar-26 12:05:00 GMT", 300.0),  # RFC 850, obsolete but allowed
        ("Sun Mar  1 12:05:00 2026", 300.0),  # asctime, obsolete but allowed
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),  # in the past
    ],
)
def test_retry_after_seconds_and_dates(header, seconds):
    assert retry_after_seconds(header, NOW) == seconds


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "soon", "1.5", "12s", "²", "Sun, 31 Feb 2026 12:00:00 GMT", "Mon, 99"],
)
def test_unreadable_retry_after_is_none(header):
    assert retry_after_seconds(header, NOW) is None


@pytest.mark.parametrize(
    "header",
    [
        "86401",
        "9" * 5000,
        format_datetime(NOW + timedelta(days=400), usegmt=True),
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ],
)
def test_absurd_retry_after_is_capped_at_a_day(header):
    assert RETRY_AFTER_MAX_S == 86400
    assert retry_after_seconds(header, NOW) == RETRY_AFTER_MAX_S


def test_now_may_be_in_any_zone():
    later = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert retry_after_seconds("Sun, 01 Mar 2026 12:01:00 GMT", later) == 60.0
