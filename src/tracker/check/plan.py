"""plan: the verdict and the schedule policy -> the story's next check and lifecycle state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker.check.verdict import Verdict
from tracker.schedule import (
    MAX_DELAY_S,
    SchedulePolicy,
    error_delay,
    interval_for_state,
    next_check_at,
    next_interval,
    next_state,
    retry_at,
)
from tracker.store.rows import CheckState
from tracker.vocab import StoryState

OK_EVENTS = ("unchanged", "changed", "first")


@dataclass(frozen=True, slots=True)
class Plan:
    state: StoryState
    interval_s: float  # the developing interval to keep for the next check
    next_check_at: datetime
    entered: StoryState | None  # the state the story just entered, if it changed


def plan_next(policy: SchedulePolicy, st: CheckState, verdict: Verdict, now: datetime) -> Plan:
    ok = verdict.event in OK_EVENTS
    changed = verdict.event == "changed"
    marker = verdict.developing_marker
    state = next_state(
        policy,
        state=st.state,  # type: ignore[arg-type]  # the column holds a StoryState
        now=now,
        created_at=st.created_at,
        last_changed_at=now if changed else st.last_changed_at,
        until=st.until,
        developing_marker=marker if marker is not None else st.developing_marker,
        consecutive_gone=verdict.consecutive_gone or 0,
        settled_at=st.settled_at,
        changed=changed,
        ok=ok,
    )
    interval = next_interval(
        policy,
        event=verdict.event,
        current=st.interval_s,
        base=st.base_interval_s,
        age_s=(now - st.created_at).total_seconds(),
        story_max=st.max_interval_s,
        fixed=st.fixed,
    )
    if state != "developing" and ok:
        interval = interval_for_state(policy, state, interval) or interval
    return Plan(
        state=state,
        interval_s=min(interval, MAX_DELAY_S) if state == "developing" else st.interval_s,
        next_check_at=_when(policy, st, verdict, state, interval, now),
        entered=state if state != st.state else None,
    )


def _when(
    policy: SchedulePolicy,
    st: CheckState,
    verdict: Verdict,
    state: StoryState,
    interval: float,
    now: datetime,
) -> datetime:
    """The next check: the interval after a success; after a failure of a developing story,
    exactly the server's Retry-After, or the confirmation delay, or the error delay."""
    ok = verdict.event in OK_EVENTS
    if ok or state != "developing":
        return next_check_at(
            policy, now, interval_for_state(policy, state, interval), verdict.retry_after_s
        )
    if verdict.retry_after_s is not None:
        return retry_at(now, verdict.retry_after_s)
    if verdict.confirming:
        return next_check_at(policy, now, policy.confirm_delay, None)
    return next_check_at(policy, now, error_delay(policy, st.consecutive_failures + 1), None)
