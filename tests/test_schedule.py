"""The interval policy and the lifecycle: pure functions, driven by a fake clock."""

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from tracker.config import ScheduleSettings, load_settings
from tracker.schedule import (
    MAX_DELAY_S,
    SchedulePolicy,
    error_delay,
    interval_for_state,
    jittered,
    next_check_at,
    next_interval,
    next_state,
    retry_at,
)

P = SchedulePolicy.from_settings(ScheduleSettings())
T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
OLD = 7 * 3600.0  # older than young_age


def test_defaults_match_the_documented_policy():
    assert (P.after_change, P.backoff_factor, P.max_interval) == (120, 1.5, 3600)


def test_policy_takes_the_seconds_the_config_parsed(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[schedule]\nafter_change = '90s'\nmax_interval = '2h'\nsettled_for = '0'\n")
    policy = SchedulePolicy.from_settings(load_settings(path).schedule)
    assert (policy.after_change, policy.max_interval, policy.settled_for) == (90, 7200, 0)
    assert policy.default_interval == P.default_interval == 600


def test_after_a_change_check_soon():
    assert next_interval(P, event="changed", current=3600, base=600, age_s=OLD) == 120


def test_unchanged_checks_back_off_to_the_ceiling():
    interval, seen = 120.0, []
    for _ in range(20):
        interval = next_interval(P, event="unchanged", current=interval, base=600, age_s=OLD)
        seen.append(interval)
    assert seen[0] == 180 and seen[1] == 270
    assert max(seen) == 3600 and seen[-1] == 3600
    assert all(b >= a for a, b in itertools.pairwise(seen))


def test_young_stories_have_a_lower_ceiling():
    young = next_interval(P, event="unchanged", current=3000, base=600, age_s=60)
    old = next_interval(P, event="unchanged", current=3000, base=600, age_s=OLD)
    assert young == 1800 and old == 3600


def test_errors_leave_the_change_driven_interval():
    assert next_interval(P, event="failed", current=600, base=600, age_s=OLD) == 600
    assert next_interval(P, event="throttled", current=120, base=600, age_s=OLD) == 120


def test_error_delay_grows_to_its_ceiling():
    delays = [error_delay(P, n) for n in range(1, 8)]
    assert delays[:4] == [60, 120, 240, 300] and delays[-1] == P.max_error_delay
    assert error_delay(P, 10**9) == P.max_error_delay  # no overflow after a long outage


def test_retry_after_is_honoured_exactly_and_clamped():
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert retry_at(now, 900) == now + timedelta(seconds=900)
    assert retry_at(now, 0) == now + timedelta(seconds=1)
    assert retry_at(now, 1e300) == now + timedelta(seconds=MAX_DELAY_S)
    jittery = SchedulePolicy(jitter=0.5)
    assert next_check_at(jittery, now, 60, 5000) >= now + timedelta(seconds=5000)


def test_never_below_the_minimum():
    assert next_interval(P, event="changed", current=60, base=10, age_s=OLD) == P.min_interval


def test_jitter_spreads_within_bounds():
    rng = random.Random(1)
    values = [jittered(600, 0.1, rng) for _ in range(200)]
    assert 540 <= min(values) < 560 and 640 < max(values) <= 660
    assert jittered(600, 0, rng) == 600


def state_after(**kw):
    base = dict(
        state="developing",
        now=T0,
        created_at=T0,
        last_changed_at=None,
        until=None,
        developing_marker=False,
        consecutive_gone=0,
        settled_at=None,
        changed=False,
        ok=True,
    )
    base.update(kw)
    return next_state(P, **base)


def test_lifecycle_settles_after_a_quiet_window_longer_with_a_marker():
    later = T0 + timedelta(hours=49)
    assert state_after(now=later) == "settled"
    assert state_after(now=later, developing_marker=True) == "developing"
    assert state_after(now=T0 + timedelta(hours=97), developing_marker=True) == "settled"


def test_lifecycle_until_max_age_gone_return_and_archive():
    assert state_after(now=T0 + timedelta(hours=1), until=T0) == "settled"
    assert (
        state_after(now=T0 + timedelta(days=15), last_changed_at=T0 + timedelta(days=15))
        == "settled"
    )
    assert state_after(consecutive_gone=3) == "gone"
    assert state_after(state="gone", ok=True) == "developing"
    assert state_after(state="settled", changed=True, now=T0 + timedelta(days=3)) == "developing"
    assert state_after(state="settled", settled_at=T0, now=T0 + timedelta(days=8)) == "archived"


@pytest.mark.parametrize(
    ("state", "expected"),
    [("developing", 300), ("settled", 86400), ("gone", 86400), ("archived", None)],
)
def test_interval_for_state(state, expected):
    assert interval_for_state(P, state, 300) == expected


def test_a_story_ceiling_caps_its_backoff_and_fixed_never_moves():
    capped = [
        next_interval(P, event="unchanged", current=c, base=30, age_s=OLD, story_max=150)
        for c in (60, 120, 600)
    ]
    assert capped == [90, 150, 150]
    for event in ("unchanged", "changed", "failed", "first"):
        assert next_interval(P, event=event, current=900, base=300, age_s=OLD, fixed=True) == 300
