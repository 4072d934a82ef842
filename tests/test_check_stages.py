"""judge -> plan -> record as pure functions: every verdict from plain facts, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tracker.check.plan import plan_next
from tracker.check.record import Comparison, build_record, outcome_of
from tracker.check.verdict import Confirm, Fetched, judge, tombstone_hash
from tracker.errors import FetchError, HttpStatus
from tracker.extract import content_hash
from tracker.records import Article, FetchResult
from tracker.revision import analyze
from tracker.schedule import MAX_DELAY_S, SchedulePolicy
from tracker.store.rows import CheckState

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
POLICY = SchedulePolicy(jitter=0.0)
A1 = Article("Fire grows", "Jane", None, None, ("About 3,800 acres have burned.",))
A2 = Article("Fire grows", "Jane", None, None, ("About 4,100 acres have burned.",))


def state(**kw: object) -> CheckState:
    base = CheckState(
        id=1,
        url="http://127.0.0.1/story",
        state="developing",
        etag='"v1"',
        last_modified=None,
        last_raw_sha256=None,
        last_fingerprint=None,
        interval_s=600.0,
        base_interval_s=600.0,
        created_at=NOW - timedelta(hours=1),
        last_changed_at=None,
        until=None,
        settled_at=None,
        consecutive_gone=0,
        consecutive_failures=0,
        developing_marker=None,
        labels=(),
        latest_content_sha256=content_hash(A1),
        latest_unpublished=False,
    )
    return replace(base, **kw)


def response(**kw: object) -> FetchResult:
    base = FetchResult(
        url="http://127.0.0.1/story",
        final_url="http://127.0.0.1/story",
        status_code=200,
        headers={},
        body=b"<html>...</html>",
        fetched_at=NOW,
        elapsed_ms=3.0,
    )
    return replace(base, **kw)


def test_precheck_decides_unchanged_without_a_guard():
    v = judge(state(), Fetched(state(), response()))
    assert (v.outcome, v.event, v.guarded, v.writes_version) == (
        "unchanged",
        "unchanged",
        False,
        False,
    )
    v = judge(state(), Fetched(state(), response(not_modified=True)))
    assert v.outcome == "not_modified"


def test_same_text_is_unchanged_and_guarded_on_the_latest_version():
    recent = [(1, content_hash(A1))]
    v = judge(state(), Fetched(state(), response(), article=A1), recent)
    assert (v.outcome, v.guarded, v.based_on) == ("unchanged", True, content_hash(A1))


def test_first_and_new_versions():
    st = state(latest_content_sha256=None)
    first = judge(st, Fetched(st, response(), article=A1), [])
    assert (first.outcome, first.event, first.previous, first.based_on) == (
        "first_version",
        "first",
        None,
        None,
    )
    new = judge(state(), Fetched(state(), response(), article=A2), [(1, content_hash(A1))])
    assert (new.outcome, new.event, new.previous, new.revert_of) == (
        "new_version",
        "changed",
        1,
        None,
    )


def test_a_return_to_a_recent_version_is_a_revert():
    recent = [(2, content_hash(A2)), (1, content_hash(A1))]
    v = judge(state(), Fetched(state(), response(), article=A1), recent)
    assert (v.outcome, v.previous, v.revert_of) == ("new_version", 2, 1)


def test_404_of_a_published_story_is_confirmed_before_it_unpublishes():
    err = HttpStatus("HTTP 404", status_code=404)
    first = judge(state(), Fetched(state(), error=err))
    assert (first.outcome, first.unpublish, first.confirming, first.consecutive_gone) == (
        "failed",
        False,
        True,
        1,
    )
    assert "1 of 3" in (first.error or "")
    third = state(consecutive_gone=2)
    v = judge(third, Fetched(third, error=err))
    assert (v.outcome, v.unpublish, v.consecutive_gone, v.content_sha256) == (
        "gone",
        True,
        3,
        tombstone_hash(404),
    )
    believe = Confirm(gone=0)
    assert judge(state(), Fetched(state(), error=err), confirm=believe).unpublish
    again = state(latest_unpublished=True, consecutive_gone=3)
    v = judge(again, Fetched(again, error=err))
    assert (v.outcome, v.unpublish, v.consecutive_gone) == ("gone", False, 4)
    never = state(latest_content_sha256=None)
    assert judge(never, Fetched(never, error=err)).outcome == "failed"


def test_an_unconfirmed_404_is_fetched_again_after_the_confirm_delay():
    st = state()
    v = judge(st, Fetched(st, error=HttpStatus("HTTP 404", status_code=404)))
    plan = plan_next(POLICY, st, v, NOW)
    assert plan.next_check_at == NOW + timedelta(seconds=POLICY.confirm_delay)


def test_a_sharp_shrink_waits_for_a_second_fetch():
    long = Article("Fire", "Jane", None, None, ("Crews fought the fire. " * 40,))
    short = Article("Fire", "Jane", None, None, ("Subscribe to keep reading.",))
    st = state(latest_content_sha256=content_hash(long), latest_text_chars=len(long.text))
    recent = [(1, content_hash(long))]
    fetched = Fetched(st, response(), raw_sha256="r2", article=short)
    v = judge(st, fetched, recent)
    assert (v.outcome, v.error_kind, v.pending_sha256) == (
        "failed",
        "unconfirmed",
        content_hash(short),
    )
    rec = build_record(
        fetched, v, plan_next(POLICY, st, v, NOW), None, (), worker="w", release_lease=True, now=NOW
    )
    assert rec.story.last_raw_sha256 is None, "the suspect page must be read in full again"
    assert (rec.check.error_kind, rec.story.pending_sha256) == ("unconfirmed", v.pending_sha256)
    seen_twice = replace(st, pending_sha256=content_hash(short))
    v = judge(seen_twice, Fetched(seen_twice, response(), article=short), recent)
    assert (v.outcome, v.pending_sha256) == ("new_version", "")
    back = judge(seen_twice, Fetched(seen_twice, response(), article=long), recent)
    assert (back.outcome, back.pending_sha256) == ("unchanged", "")


def test_failures_back_off_on_their_own_and_keep_the_interval():
    st = state(interval_s=1800.0, consecutive_failures=0)
    v = judge(st, Fetched(st, error=FetchError("connection refused", kind="network")))
    plan = plan_next(POLICY, st, v, NOW)
    assert plan.interval_s == 1800.0
    assert plan.next_check_at == NOW + timedelta(seconds=POLICY.min_interval)
    worn = replace(st, consecutive_failures=9)
    plan = plan_next(POLICY, worn, v, NOW)
    assert plan.next_check_at == NOW + timedelta(seconds=POLICY.max_error_delay)


def test_a_story_back_after_404_is_returned_not_a_revert():
    st = state(latest_unpublished=True, latest_content_sha256=tombstone_hash(404))
    recent = [(2, tombstone_hash(404)), (1, content_hash(A1))]
    v = judge(st, Fetched(st, response(), article=A1), recent)
    assert (v.outcome, v.revert_of, v.previous) == ("returned", None, 2)


def test_throttled_keeps_retry_after_and_the_gone_count():
    err = HttpStatus("HTTP 503", status_code=503, retry_after_s=900)
    st = state(consecutive_gone=2)
    v = judge(st, Fetched(st, error=err))
    assert (v.outcome, v.event, v.retry_after_s, v.consecutive_gone) == (
        "failed",
        "throttled",
        900,
        None,
    )
    plan = plan_next(POLICY, st, v, NOW)
    assert plan.next_check_at == NOW + timedelta(seconds=900)  # exactly, no backoff on top


@pytest.mark.parametrize("interval", [1e12, 1e300, float(2**63)])
def test_an_absurd_interval_is_clamped_not_an_overflow(interval: float):
    st = state(interval_s=interval, base_interval_s=interval)
    v = judge(st, Fetched(st, response()))
    plan = plan_next(POLICY, st, v, NOW)
    assert plan.next_check_at <= NOW + timedelta(seconds=MAX_DELAY_S)
    assert plan.interval_s <= MAX_DELAY_S
    err = HttpStatus("HTTP 429", status_code=429, retry_after_s=interval)
    plan = plan_next(POLICY, st, judge(st, Fetched(st, error=err)), NOW)
    assert plan.next_check_at <= NOW + timedelta(seconds=MAX_DELAY_S)


def test_a_quiet_story_settles_and_the_record_says_so():
    st = state(created_at=NOW - timedelta(days=3), last_changed_at=NOW - timedelta(days=3))
    fetched = Fetched(st, response())
    v = judge(st, fetched)
    plan = plan_next(POLICY, st, v, NOW)
    assert (plan.state, plan.entered) == ("settled", "settled")
    rec = build_record(fetched, v, plan, None, (), worker="w", release_lease=True, now=NOW)
    assert rec.events == (("settled", None),)
    assert (rec.story.settled_at, rec.story.release_lease, rec.touch_latest) == (NOW, True, True)


def test_record_of_a_new_version_carries_the_change_and_validators():
    st = state()
    fetched = Fetched(st, response(etag='"v2"'), raw_sha256="r", fingerprint="f", article=A2)
    v = judge(st, fetched, [(1, content_hash(A1))])
    plan = plan_next(POLICY, st, v, NOW)
    comparison = Comparison.of(A2, analyze(A1, A2), previous=1)
    rec = build_record(fetched, v, plan, comparison, (), worker="w", release_lease=False, now=NOW)
    assert rec.version is not None and rec.version.body == fetched.result.body
    assert rec.change is not None and rec.change.from_number == 1
    assert rec.change.report["compact"] is True
    assert rec.story.validators == ('"v2"', None)
    assert (rec.check.outcome, rec.check.raw_sha256, rec.guarded) == ("new_version", "r", True)
    out = outcome_of(fetched, v, comparison, 2)
    assert (out.outcome, out.version, out.change_class) == (
        "new_version",
        2,
        comparison.report.change_class,
    )


def test_record_of_a_failure_counts_it_and_keeps_the_page_facts():
    st = state(consecutive_failures=2)
    fetched = Fetched(st, error=FetchError("connection refused", kind="network"))
    v = judge(st, fetched)
    plan = plan_next(POLICY, st, v, NOW)
    rec = build_record(fetched, v, plan, None, (), worker="w", release_lease=True, now=NOW)
    assert (rec.story.consecutive_failures, rec.story.validators, rec.story.forget_page) == (
        3,
        None,
        False,
    )
    assert (rec.check.outcome, rec.check.error_kind, rec.version) == ("failed", "network", None)
