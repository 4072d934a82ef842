"""Writing a version reads the story's newest version once: for the guard (a version written
since the check was judged), for the new version's number and for the change's base."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.servers import LocalServer, Route, article_html
from tracker.extract import content_hash
from tracker.records import Article
from tracker.service import Tracker
from tracker.store import queries as q
from tracker.store.checks import (
    CheckRecord,
    CheckRow,
    NewChange,
    NewVersion,
    StaleCheck,
    StoryUpdate,
    record_check,
)
from tracker.store.models import Check, Version

AT = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _story(tracker: Tracker, server: LocalServer) -> int:
    """A story with two versions."""
    server.routes["/w"] = Route(body=article_html("Dam holds", ["Water rose 2 metres."]).encode())
    (added,) = tracker.add([server.url("/w")])
    tracker.check([added.story_id])
    server.routes["/w"] = Route(body=article_html("Dam holds", ["Water rose 3 metres."]).encode())
    assert [o.outcome for o in tracker.check([added.story_id])] == ["new_version"]
    return added.story_id


def _record(sid: int, text: str, *, based_on: str | None, from_number: int) -> CheckRecord:
    article = Article("Dam holds", "", None, None, (text,))
    return CheckRecord(
        sid,
        AT,
        CheckRow("new_version", "test", status_code=200),
        StoryUpdate(AT, "developing", 300.0, AT + timedelta(minutes=5), 0),
        version=NewVersion(article, content_hash(article), None, None, 200, None, AT),
        change=NewChange(from_number, "substantive", "edited", {}),
        guarded=True,
        based_on=based_on,
    )


def test_a_check_judged_on_an_older_version_writes_nothing(
    tracker: Tracker, server: LocalServer
) -> None:
    sid = _story(tracker, server)
    first, _ = tracker.store.read(q.versions, sid)
    rec = _record(sid, "Water rose 4 metres.", based_on=first.content_sha256, from_number=1)

    def count(session: Session) -> tuple[int | None, int | None]:
        checks = session.scalar(select(func.count()).select_from(Check))
        versions = session.scalar(select(func.count()).select_from(Version))
        return checks, versions

    before = tracker.store.read(count)
    with pytest.raises(StaleCheck):
        tracker.store.write(record_check, rec)
    assert tracker.store.read(count) == before


@pytest.mark.parametrize("from_number", [2, 1])  # the newest version, or an older one (revert)
def test_the_change_starts_from_the_version_it_names(
    tracker: Tracker, server: LocalServer, from_number: int
) -> None:
    sid = _story(tracker, server)
    newest = tracker.store.read(q.versions, sid)[-1]
    rec = _record(sid, "Water fell.", based_on=newest.content_sha256, from_number=from_number)
    assert tracker.store.write(record_check, rec) == 3
    versions = {v.number: v for v in tracker.store.read(q.versions, sid)}
    change = tracker.store.read(q.changes, story_id=sid)[0]  # newest first
    assert (change.from_version, change.to_version) == (from_number, 3)
    assert rec.version is not None and versions[3].content_sha256 == rec.version.content_sha256
