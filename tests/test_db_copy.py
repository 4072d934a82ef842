"""`tracker db copy`: an archive made by the real pipeline, copied, read back the same.

The source is SQLite (what an archive starts as); the target is SQLite or PostgreSQL (the
``db_url`` fixture; PostgreSQL tests skip without a server).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine, create_engine, text

from tests.conftest import make_settings
from tests.servers import Route, article_html
from tests.test_feeds import PARAS, rss
from tests.test_web_fixtures import make_stories
from tracker.commands.dbcopy import BarProgress
from tracker.config import ArchiveSettings, ChannelSettings
from tracker.feeds import Discovery, add_feed, poll_due
from tracker.service import Tracker
from tracker.store import Store
from tracker.store import operations as ops
from tracker.store.copy import CopyProgress, copy_archive, row_count, tables


@dataclass
class Archive:
    url: str
    config: Path
    versions: dict[str, int]  # story URL -> its number of versions


def config_for(tmp_path: Path, name: str, db_url: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n[fetch]\nallow_private_addresses = true\n')
    return path


@pytest.fixture
def archive(tmp_path: Path, server) -> Archive:
    """Stories with versions, snapshots, changes, alerts waiting in the outbox, labels,
    lifecycle events, an unpublished story, and a feed with the items it listed."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    settings = make_settings(url)
    settings.channels = [
        ChannelSettings(
            name="desk", kind="webhook", url="http://127.0.0.1:9/", min_class="cosmetic"
        )
    ]
    # Archive jobs waiting too (never submitted here: nothing delivers them).
    settings.archive = ArchiveSettings(enabled=True, endpoint="http://127.0.0.1:9/save")
    tracker = Tracker(settings)
    tracker.init()
    try:
        make_stories(server, tracker)
        _unpublished_story(server, tracker)
        _feed(server, tracker)
        _pruned_checks(tracker)
        _desk(tracker)
        versions = {s.url: s.version_count for s in tracker.stories()}
    finally:
        tracker.close()
    return Archive(url, config_for(tmp_path, "source", url), versions)


def _unpublished_story(server, tracker: Tracker) -> None:
    url = server.page("/gone", article_html("Gone soon", PARAS))
    [sid] = [a.story_id for a in tracker.add([url])]
    assert tracker.check([sid])[0].outcome == "first_version"
    server.routes["/gone"] = Route(body=b"not found", status=404)
    outcomes = [tracker.check([sid])[0].outcome for _ in range(3)]
    assert "gone" in outcomes, outcomes


def _feed(server, tracker: Tracker) -> None:
    server.page("/live", article_html("Landslide: live", [*PARAS, "This is a developing story."]))
    server.page("/done", article_html("Museum reopens", PARAS))
    server.routes["/feed.xml"] = Route(
        body=rss(server, ["/live", "/done"]), headers={"Content-Type": "application/rss+xml"}
    )
    add_feed(tracker.store, server.url("/feed.xml"), now=tracker.clock(), labels=("world",))
    discovery = Discovery.of(tracker.settings, tracker.store, clock=tracker.clock)
    assert asyncio.run(poll_due(discovery, owner="t"))[0].added == (server.url("/live"),)


def _pruned_checks(tracker: Tracker) -> None:
    """Checks of months ago, pruned by retention: counts in check_rollup, a kept old row."""
    from datetime import timedelta

    from tracker.store import queries as q
    from tracker.store.retention import prune_checks

    sid, now = tracker.stories()[0].id, tracker.clock()
    for days, outcome in ((200, "unchanged"), (200, "failed"), (150, "new_version")):
        at = now - timedelta(days=days)
        tracker.store.write(q.add_check, story_id=sid, at=at, outcome=outcome, worker="t")
    assert prune_checks(tracker.store, 90 * 86400, now).removed == 2


def _desk(tracker: Tracker) -> None:
    """A desk user with a session, a token, a follow, a destination with its rules, and the
    audit rows those wrote."""
    from tracker.desk import accounts
    from tracker.store import desk as dk

    store, now = tracker.store, tracker.clock()
    user, _ = accounts.add_user(store, "ana", "editor", now=now, password="a long password")
    accounts.start_session(store, tracker.settings.web, user, now)
    accounts.new_token(store, "ana", "script", now)
    store.write(dk.follow, user.id, "story", str(tracker.stories()[0].id), now)
    dest = store.write(
        dk.add_destination, user.id, name="mail", kind="webhook", url="http://127.0.0.1:9/", now=now
    )
    store.write(dk.subscribe, user.id, dest.id, dk.Rules(labels=("world",)), now)


def counts(url: str) -> dict[str, int]:
    store = Store(url)
    try:
        return {t.name: store.read(row_count, t.name) for t in tables()}
    finally:
        store.close()


def reads(cli, config: Path, archive: Archive) -> list[tuple[str, ...]]:
    """What the read commands print: every story, version, raw page and diff."""
    said = [cli("list", "--json", config=config).stdout, cli("feed", "list", config=config).stdout]
    for url, n in sorted(archive.versions.items()):
        said += [cli("history", url, config=config).stdout]
        said += [cli("history", url, "--json", config=config).stdout]
        for v in range(1, n + 1):
            shown = cli("show", url, "-v", str(v), config=config)
            raw = cli("show", "--raw", url, "-v", str(v), config=config)
            said += [(shown.code, shown.stdout), (raw.code, raw.stdout, raw.stderr)]
            if v > 1:
                for fmt in ("unified", "json"):
                    args = ("diff", url, "--from", str(v - 1), "--to", str(v), "--format", fmt)
                    said += [cli(*args, config=config).stdout]
    return said


def test_the_archive_is_made_of_everything(archive):
    made = counts(archive.url)
    assert all(made[t] > 0 for t in made), made  # every table has rows to copy
    assert max(archive.versions.values()) == 3


def test_a_copy_reads_the_same_and_takes_new_rows(cli, archive, db_url, tmp_path, server):
    done = cli("db", "copy", "--to", db_url, "--json", config=archive.config)
    assert done.code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verified"] and not report["resumed"]
    assert {t: v["rows"] for t, v in report["tables"].items()} == counts(archive.url)
    assert counts(db_url) == counts(archive.url)
    assert report["copied"] == report["rows"] == sum(counts(db_url).values())

    copied = config_for(tmp_path, "target", db_url)
    said = reads(cli, copied, archive)
    assert said == reads(cli, archive.config, archive)
    assert any(isinstance(s, tuple) and s[0] == 0 and "<html" in s[1] for s in said)

    # The copy is a working archive: new rows take ids after the copied ones.
    tracker = Tracker(make_settings(db_url))
    try:
        url = server.page("/new", article_html("A new story", PARAS))
        [added] = tracker.add([url])
        assert added.story_id == max(s.id for s in tracker.stories()) > len(archive.versions)
        assert tracker.check([added.story_id])[0].outcome == "first_version"
    finally:
        tracker.close()


class StopAfter(CopyProgress):
    """Ctrl-C after ``n`` committed batches."""

    def __init__(self, n: int) -> None:
        self.left = n

    def copied(self, table: str, rows: int) -> None:
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt


@pytest.mark.parametrize("stop_after", [1, 6, 13])
def test_an_interrupted_copy_resumes_without_duplicates(cli, archive, db_url, tmp_path, stop_after):
    source, target = Store(archive.url), Store(db_url)
    with pytest.raises(KeyboardInterrupt):
        copy_archive(source, target, batch=2, progress=StopAfter(stop_after))
    source.close()
    target.close()
    partial = counts(db_url)
    assert 0 < sum(partial.values()) < sum(counts(archive.url).values())

    done = cli("db", "copy", "--to", db_url, "--batch", "2", "--json", config=archive.config)
    assert done.code == 0, done.stderr
    resumed = json.loads(done.stdout)
    assert resumed["resumed"] and resumed["verified"]
    assert counts(db_url) == counts(archive.url)
    for name, t in resumed["tables"].items():
        assert t["copied"] == t["rows"] - partial[name]  # nothing written twice

    # The same counts and hashes as a copy that was never interrupted.
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    whole = json.loads(cli("db", "copy", "--to", fresh, "--json", config=archive.config).stdout)
    assert whole["tables"] == {
        name: {**t, "copied": t["rows"]} for name, t in resumed["tables"].items()
    }
    again = json.loads(cli("db", "copy", "--to", db_url, "--json", config=archive.config).stdout)
    assert again["copied"] == 0
    assert again["tables"] == {n: {**t, "copied": 0} for n, t in whole["tables"].items()}


def test_from_names_the_source_and_text_output_says_what_it_did(cli, archive, tmp_path):
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    other = config_for(tmp_path, "elsewhere", f"sqlite:///{tmp_path / 'unrelated.db'}")
    done = cli("db", "copy", "--from", archive.url, "--to", target, config=other)
    assert done.code == 0, done.stderr
    total = sum(counts(archive.url).values())
    assert f"copied {total} of {total} rows from {archive.url} to {target}" in done.stdout
    assert "verified: every table's count and SHA-256 match" in done.stdout
    assert "snapshot " in done.stdout
    assert not (tmp_path / "unrelated.db").exists()


def test_a_target_holding_another_archive_is_refused(cli, archive, tmp_path, server):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    tracker = Tracker(make_settings(other))
    tracker.init()
    tracker.add([server.url("/somewhere-else")])
    tracker.close()
    refused = cli("db", "copy", "--to", other, config=archive.config)
    assert refused.code == 2
    assert "already holds a different archive (table story: its rows up to key 1 differ" in (
        refused.stderr
    )
    assert counts(other)["story"] == 1


def test_the_same_database_and_a_running_daemon_are_refused(cli, archive, tmp_path):
    same = cli("db", "copy", "--to", archive.url, config=archive.config)
    assert same.code == 2 and "the same database" in same.stderr
    store = Store(archive.url)
    store.write(ops.register_daemon, "d1", "host", 1, datetime.now(UTC))
    store.close()
    busy = cli("db", "copy", "--to", f"sqlite:///{tmp_path / 't.db'}", config=archive.config)
    assert busy.code == 1 and "daemons are running" in busy.stderr and "d1" in busy.stderr


def test_a_damaged_copy_fails_verification(cli, archive, tmp_path):
    path = tmp_path / "damaged.db"
    assert cli("db", "copy", "--to", f"sqlite:///{path}", config=archive.config).code == 0
    with sqlite3.connect(path) as conn:  # one byte of a middle snapshot flips
        (data,) = conn.execute("SELECT data FROM snapshot WHERE id = 2").fetchone()
        flipped = bytes([data[0] ^ 1]) + data[1:]
        conn.execute("UPDATE snapshot SET data = ? WHERE id = 2", (flipped,))
    failed = cli("db", "copy", "--to", f"sqlite:///{path}", config=archive.config)
    assert failed.code == 1
    assert "verification failed for table snapshot" in failed.stderr


def test_the_bar_counts_every_row(archive, tmp_path):
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    source, target = Store(archive.url), Store(f"sqlite:///{tmp_path / 'b.db'}")
    with Progress(console=console) as progress:
        copy_archive(source, target, progress=BarProgress(progress))
        task = progress.tasks[0]
    source.close()
    target.close()
    assert task.total == task.completed == sum(counts(archive.url).values())
    assert task.description == "verifying notification"


# ---------------------------------------------------------------- docs/postgresql.md, as written


def test_the_guide_s_roles_run_the_tracker_and_take_a_copy(cli, archive, pg_admin_url, tmp_path):
    """The guide's SQL, run as written: the owner creates the schema (here by `db copy`), the
    runtime role reads the copy, checks stories and adds rows with fresh ids."""
    guide = (Path(__file__).resolve().parents[1] / "docs" / "postgresql.md").read_text()
    server_sql, database_sql = re.findall(r"```sql\n(.*?)```", guide, re.S)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    base = pg_admin_url.rsplit("/", 1)[0].replace("postgres@", "{}@")
    try:
        _run_sql(admin, server_sql.replace("DATABASE tracker", f"DATABASE {name}"))
        in_db = create_engine(base.format("postgres") + f"/{name}", isolation_level="AUTOCOMMIT")
        _run_sql(in_db, database_sql)
        in_db.dispose()
        owner = base.format("tracker_owner:change-me-owner") + f"/{name}"
        app = base.format("tracker_app:change-me-app") + f"/{name}"
        done = cli("db", "copy", "--to", owner, config=archive.config)
        assert done.code == 0, done.stderr
        as_app = config_for(tmp_path, "app", app)
        assert cli("init", config=as_app).code == 0  # at head: nothing to create
        assert reads(cli, as_app, archive) == reads(cli, archive.config, archive)
        fire = next(u for u in archive.versions if u.endswith("/fire"))
        assert cli("check", fire, config=as_app).code == 0  # unchanged: a check row, a story update
        assert cli("add", fire + "-2", config=as_app).code == 0
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text("DROP ROLE IF EXISTS tracker_owner, tracker_app"))
        admin.dispose()


def _run_sql(engine: Engine, script: str) -> None:
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    with engine.connect() as conn:
        for statement in " ".join(lines).split(";"):
            if statement.strip():
                conn.execute(text(statement))
