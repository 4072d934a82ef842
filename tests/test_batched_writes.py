"""A batch of plain checks (no version) is written in a few bulk statements: the same rows as
writing each check on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tests.conftest import make_settings, sessions
from tests.servers import LocalServer, article_html
from tracker.service import Tracker
from tracker.store import queries as q
from tracker.store.checks import CheckRecord, CheckRow, StoryUpdate, record_check, record_checks
from tracker.store.models import Check, Story, Version

PARAS = [
    "The council approved the budget of 4.2 million after a three-hour debate on Tuesday.",
    "Opposition members said the cuts to libraries would hurt the poorest districts most.",
]
AT = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)  # after the setup checks


def _tracker(tmp_path: Path, name: str, urls: list[str]) -> tuple[Tracker, list[int]]:
    t = Tracker(make_settings(f"sqlite:///{tmp_path / name}"))
    t.init()
    ids = [a.story_id for a in t.add(urls)]
    assert all(o.outcome == "first_version" for o in t.check(ids))
    return t, ids


def _records(ids: list[int]) -> list[CheckRecord]:
    """Unchanged, not modified and failed checks: the kinds a bulk pass writes most."""
    recs = []
    for k, sid in enumerate(ids):
        at = AT + timedelta(seconds=k)
        kind = ("unchanged", "not_modified", "failed")[k % 3]
        check = CheckRow(
            kind,
            "cli:1",
            status_code=200 if kind == "unchanged" else (304 if kind == "not_modified" else 503),
            size=1000 + k,
            duration_ms=12.5,
            raw_sha256=f"{k:064x}" if kind == "unchanged" else None,
            error_kind="http" if kind == "failed" else None,
            error="HTTP 503" if kind == "failed" else None,
            attempts=1,
        )
        story = StoryUpdate(
            checked_at=at,
            state="developing",
            interval_s=300.0 + k,
            next_check_at=at + timedelta(minutes=5),
            consecutive_failures=1 if kind == "failed" else 0,
            validators=(f'"e{k}"', None) if kind != "failed" else None,
            last_raw_sha256=f"{k:064x}" if kind == "unchanged" else None,
            release_lease=k % 2 == 0,
        )
        recs.append(
            CheckRecord(sid, at, check, story, touch_latest=kind != "failed"),
        )
    return recs


def _rows(t: Tracker, ids: list[int]) -> dict[str, list[tuple[object, ...]]]:
    with sessions(t)() as s:
        checks = s.execute(
            select(
                Check.story_id,
                Check.at,
                Check.outcome,
                Check.status_code,
                Check.bytes,
                Check.duration_ms,
                Check.raw_sha256,
                Check.error_kind,
                Check.error,
                Version.number,  # version ids differ between the two databases
                Check.worker,
                Check.attempts,
            )
            .outerjoin(Version, Version.id == Check.version_id)
            .where(Check.at >= AT)
            .order_by(Check.story_id, Check.id)
        ).all()
        stories = s.execute(
            select(
                Story.id,
                Story.last_checked_at,
                Story.interval_s,
                Story.next_check_at,
                Story.consecutive_failures,
                Story.etag,
                Story.last_raw_sha256,
                Story.lease_owner,
                Story.latest_seen_at,
            ).order_by(Story.id)
        ).all()
        versions = s.execute(
            select(Version.story_id, Version.number, Version.last_seen).order_by(
                Version.story_id, Version.number
            )
        ).all()
    # last_seen as readers see it (the newest version's sighting is on the story's row);
    # it moves only for the checks under test: the setup's own times differ
    shown = [
        (v.story_id, v.number, v.last_seen) for sid in ids for v in t.store.read(q.versions, sid)
    ]
    seen = [(sid, n, at if at >= AT else None) for sid, n, at in shown]
    kept = [(sid, n, at if at >= AT else None) for sid, n, at in versions]
    return {"check": list(checks), "story": list(stories), "version": seen, "version row": kept}


def test_a_batch_of_plain_checks_writes_what_one_by_one_writes(tmp_path: Path) -> None:
    server = LocalServer().start()
    try:
        urls = [server.page(f"/s{i}", article_html(f"Story {i}", PARAS)) for i in range(7)]
        one, ids = _tracker(tmp_path, "one.db", urls)
        bulk, ids2 = _tracker(tmp_path, "bulk.db", urls)
    finally:
        server.stop()
    assert ids == ids2
    for rec in _records(ids):
        assert one.store.write(record_check, rec) is None
    assert bulk.store.write(record_checks, _records(ids)) == [None] * len(ids)
    a, b = _rows(one, ids), _rows(bulk, ids)
    assert a["check"] == b["check"]
    assert a["story"] == b["story"]
    assert a["version"] == b["version"]  # last_seen: version 1 was seen again
    assert a["version row"] == b["version row"]
    # the sighting is on the story's row, the version's own row is not written again
    assert [at for _, _, at in a["version"]] == [
        AT + timedelta(seconds=k) if k % 3 != 2 else None for k in range(len(ids))
    ]
    assert all(at is None for _, _, at in a["version row"])
    one.close()
    bulk.close()
