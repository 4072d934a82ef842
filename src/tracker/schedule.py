"""When to check a story next, and which state it is in: pure functions of the facts.

Interval policy (all values from ``[schedule]``):

- a new story starts at its own interval (``--interval``, else ``default_interval``);
- after a change: ``after_change`` (never longer than the story's own interval);
- after an unchanged check: the interval grows by ``backoff_factor`` up to a ceiling, which is
  ``max_interval`` (or the story's own interval when that is longer), halved while the
  story is younger than ``young_age``: newer stories are checked more often;
- after a failure, a 429 or a 503 the story's interval stays as it is; the next check of a
  developing story comes after ``error_delay`` (``min_interval`` growing by
  ``error_backoff_factor``, at most ``max_error_delay``), or exactly when the server's
  Retry-After says; a failure awaiting confirmation (a first 404, a sudden shrink) is
  fetched again after ``confirm_delay``;
- every interval gets +-``jitter`` spread so stories added together drift apart;
- nothing is ever checked more often than ``min_interval``.

Lifecycle: ``developing`` -> ``settled`` after ``quiet_window`` without a change (twice that
while the page still carries a developing marker), after ``max_age``, or at ``until``;
``settled`` stories are checked every ``settled_interval`` and become ``archived`` (no more
scheduled checks) after ``settled_for``; a change brings a settled story back to
``developing``; ``gone_after`` consecutive 404/410 make it ``gone`` (checked like a settled
story, so a return is noticed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Literal

from tracker.config import ScheduleSettings
from tracker.vocab import StoryState

Event = Literal["changed", "unchanged", "failed", "throttled", "first"]
State = StoryState  # the vocabulary's lifecycle states, under the name callers use
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
# The longest any delay may be: an absurd interval or Retry-After is clamped to it, so adding
# it to "now" can never overflow a datetime (and a story is never pushed out for centuries).
MAX_DELAY_S = 366 * 86400.0


@dataclass(frozen=True, slots=True)
class SchedulePolicy:
    default_interval: float = 600.0
    after_change: float = 120.0
    backoff_factor: float = 1.5
    min_interval: float = 60.0
    max_interval: float = 3600.0
    error_backoff_factor: float = 2.0
    jitter: float = 0.1
    young_age: float = 6 * 3600.0
    quiet_window: float = 48 * 3600.0
    max_age: float = 14 * 86400.0
    settled_interval: float = 86400.0
    settled_for: float = 7 * 86400.0
    gone_after: int = 3
    confirm_gone: int = 2
    confirm_delay: float = 60.0
    confirm_shrink_below: float = 0.5
    max_error_delay: float = 300.0

    @classmethod
    def from_settings(cls, s: ScheduleSettings) -> SchedulePolicy:
        """The policy of the ``[schedule]`` settings (durations already in seconds)."""
        return cls(**{f.name: getattr(s, f.name) for f in fields(cls)})


def ceiling(policy: SchedulePolicy, base_interval: float, age_s: float) -> float:
    top = max(policy.max_interval, base_interval)
    if age_s < policy.young_age:
        top = max(policy.min_interval, min(top, max(base_interval, top / 2)))
    return top


def next_interval(
    policy: SchedulePolicy,
    *,
    event: Event,
    current: float,
    base: float,
    age_s: float,
    story_max: float | None = None,
    fixed: bool = False,
) -> float:
    """The next change-driven interval in seconds, before jitter (failures leave it).

    A story's own ceiling (``story_max``) caps its backoff; a ``fixed`` story keeps ``base``.
    """
    if fixed:
        return max(policy.min_interval, base)
    top = ceiling(policy, base, age_s)
    if story_max is not None:
        top = max(min(top, story_max), policy.min_interval)
    if event == "first":
        interval = base
    elif event == "changed":
        interval = min(policy.after_change, base)
    elif event == "unchanged":
        interval = min(current * policy.backoff_factor, top)
    else:  # failed or throttled: the change-driven interval stays; see error_delay
        interval = current
    return max(policy.min_interval, interval)


def error_delay(policy: SchedulePolicy, failures: int) -> float:
    """The wait after ``failures`` consecutive failed checks of a developing story.

    Apart from the change-driven interval: ``min_interval`` growing by
    ``error_backoff_factor`` per failure, never over ``max_error_delay``, so one blip does
    not hide the next edit for long.
    """
    steps = min(max(failures - 1, 0), 64)  # a long outage must not overflow the power
    ceiling_s = max(policy.max_error_delay, policy.min_interval)
    return min(policy.min_interval * policy.error_backoff_factor**steps, ceiling_s)


def jittered(interval: float, jitter: float, rng: random.Random | None = None) -> float:
    if jitter <= 0:
        return interval
    r = (rng or random).uniform(-jitter, jitter)
    return interval * (1 + r)


def next_state(
    policy: SchedulePolicy,
    *,
    state: State,
    now: datetime,
    created_at: datetime,
    last_changed_at: datetime | None,
    until: datetime | None,
    developing_marker: bool | None,
    consecutive_gone: int,
    settled_at: datetime | None,
    changed: bool,
    ok: bool,
) -> State:
    """The story's state after a check."""
    if consecutive_gone >= policy.gone_after:
        return "gone"
    if state == "gone":
        return "developing" if ok else "gone"
    if (
        changed
        and (until is None or now < until)
        and now - created_at < timedelta(seconds=policy.max_age)
    ):
        return "developing"
    if state == "developing":
        quiet = policy.quiet_window * (2 if developing_marker else 1)
        since = now - (last_changed_at or created_at)
        if (
            (until is not None and now >= until)
            or since >= timedelta(seconds=quiet)
            or (now - created_at >= timedelta(seconds=policy.max_age))
        ):
            return "settled"
        return "developing"
    if state == "settled":
        if (
            policy.settled_for > 0
            and settled_at is not None
            and (now - settled_at >= timedelta(seconds=policy.settled_for))
        ):
            return "archived"
        return "settled"
    return state


def interval_for_state(policy: SchedulePolicy, state: State, interval: float) -> float | None:
    """Settled and gone stories use the slow interval; archived ones are not scheduled."""
    if state in ("settled", "gone"):
        return policy.settled_interval
    if state == "archived":
        return None
    return interval


def next_check_at(
    policy: SchedulePolicy, now: datetime, interval: float | None, retry_after_s: float | None
) -> datetime:
    """When to check next: the interval, jittered, but never before Retry-After; clamped.

    ``interval`` None means never (an archived story).
    """
    if interval is None:
        return FAR_FUTURE
    delay = min(jittered(min(interval, MAX_DELAY_S), policy.jitter), MAX_DELAY_S)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, MAX_DELAY_S))
    return now + timedelta(seconds=delay)


def retry_at(now: datetime, retry_after_s: float) -> datetime:
    """Exactly when the server asked (at least a second from now), clamped."""
    return now + timedelta(seconds=min(max(retry_after_s, 1.0), MAX_DELAY_S))
