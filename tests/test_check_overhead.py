"""Issue 17, second pass: what ``check --all`` reads and loads, and the lease renewal race."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from tests.conftest import make_settings, sessions
from tests.test_startup import run_cli
from tracker.service import Tracker
from tracker.store import queries as q
from tracker.store import stories as store_stories
from tracker.store.models import Story

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
# Loaded only once a version is compared, a change notifies or the fleet runs on PostgreSQL.
LATE = ("tracker.revision", "tracker.notify", "jinja2", "sqlalchemy.dialects.postgresql")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "fresh.db"}"\n')
    return path


@pytest.mark.parametrize("args", [("list",), ("check",), ("check", "--all")])
def test_read_and_idle_check_commands_load_no_late_module(
    tmp_path: Path, config: Path, args: tuple[str, ...]
) -> None:
    run_cli(tmp_path, "--config", str(config), "init")  # migrating loads Alembic and more
    modules = run_cli(tmp_path, "--config", str(config), *args)
    assert "sqlalchemy" in modules  # it did read the database
    assert sorted(m for m in LATE if m in modules) == [], args


def _tracker(tmp_path: Path, n: int) -> tuple[Tracker, list[int]]:
    t = Tracker(make_settings(f"sqlite:///{tmp_path / 't.db'}"))
    urls = [f"https://example.org/{c}" for c in "dbeac"[:n]]
    got = t.store.write(q.add_stories, urls, now=NOW, interval_s=600.0)
    return t, [sid for sid, _ in got]


def test_checkable_ids_are_what_the_listing_filter_gave(tmp_path: Path) -> None:
    t, ids = _tracker(tmp_path, 5)
    t.store.write(q.set_paused, ids[0], True, NOW)
    t.store.write(q.remove_story, ids[1], NOW)
    with sessions(t).begin() as s:
        s.execute(update(Story).where(Story.id == ids[2]).values(state="archived"))
    before = [s.id for s in t.stories() if not s.paused and s.state != "archived"]
    assert t.checkable_ids() == before == [ids[3], ids[4]]  # by URL: /a, /c


def test_renewing_leases_never_revives_one_released_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t, ids = _tracker(tmp_path, 2)
    assert t.store.write(q.claim_ids, ids, owner="me", now=NOW, lease_s=60) == ids
    real = store_stories.update

    def release_first_meanwhile(*args: Any) -> Any:
        # renew has selected the rows "me" holds; now the check of ids[0] releases its lease
        with sessions(t).begin() as other:
            other.execute(
                real(Story).where(Story.id == ids[0]).values(lease_owner=None, lease_until=None)
            )
        return real(*args)

    monkeypatch.setattr(store_stories, "update", release_first_meanwhile)
    t.store.write(q.renew_leases, ids, "me", NOW, 60)
    with sessions(t)() as s:
        leases = {r.id: (r.lease_owner, r.lease_until) for r in s.query(Story)}
    assert leases[ids[0]] == (None, None)
    assert leases[ids[1]][0] == "me" and leases[ids[1]][1] is not None
