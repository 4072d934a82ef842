"""Research datasets: `export --what sentences`, `export --format sqlite`, and the headline
each change carries."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

from tests.test_store_search import T0, A, B, C, D, story, write
from tracker.store import db

C2 = "The mayor, Hélène Dupré, visited the site on Tuesday."


def _archive(config_file: Path) -> int:
    url = config_file.read_text().split('url = "')[1].split('"')[0]
    engine = db.make_engine(url)
    db.migrate(engine)
    factory = db.session_factory(engine)
    sid = story(factory, "https://news.example/fire")
    write(factory, sid, T0, "Fire at the station", f"{A} {B}", C)
    write(factory, sid, T0 + timedelta(hours=1), "Station fire: two hurt", A, C, D)
    write(factory, sid, T0 + timedelta(hours=2), "Station fire: mayor visits", A, C2, D)
    engine.dispose()
    return sid


def test_sentence_operations_between_consecutive_versions(cli, config_file: Path) -> None:
    sid = _archive(config_file)
    r = cli("export", "--what", "sentences", config=config_file)
    assert r.code == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    ops = [(x["from_version"], x["to_version"], x["op"], x["old_sentence"], x["new_sentence"])
           for x in rows]  # fmt: skip
    assert ops == [
        (1, 2, "equal", A, A),
        (1, 2, "delete", B, None),
        (1, 2, "equal", C, C),
        (1, 2, "insert", None, D),
        (2, 3, "equal", A, A),
        (2, 3, "update", C, C2),
        (2, 3, "equal", D, D),
    ]
    first = rows[0]
    assert first["story_id"] == sid and first["from_time"] == "2026-11-28T12:00:00+00:00"
    assert rows[-2]["title"] == "Station fire: mayor visits"
    assert (rows[1]["old_index"], rows[1]["new_index"]) == (1, None)
    csv_out = cli("export", "--what", "sentences", "--format", "csv", config=config_file)
    assert csv_out.stdout.splitlines()[0].startswith("story_id,url,from_version,to_version")
    assert len(csv_out.stdout.splitlines()) == 8
    bad = cli("export", "--what", "sentences", "--format", "warc", config=config_file)
    assert bad.code == 2


def test_the_changes_export_carries_the_headline_as_of_the_change(cli, config_file: Path) -> None:
    _archive(config_file)
    r = cli("export", "--what", "changes", config=config_file)
    titles = [(c["from"], c["to"], c["title"]) for c in map(json.loads, r.stdout.splitlines())]
    assert titles == [(1, 2, "Station fire: two hurt"), (2, 3, "Station fire: mayor visits")]


def test_the_sqlite_archive_is_self_describing_and_searchable(
    cli, config_file: Path, tmp_path: Path
) -> None:
    sid = _archive(config_file)
    out = tmp_path / "out" / "archive.db"
    out.parent.mkdir()
    r = cli("export", "--format", "sqlite", "-o", str(out), config=config_file)
    assert r.code == 0, r.stderr
    con = sqlite3.connect(out)
    found = con.execute(
        "SELECT s.story_id, s.text, s.first_version, s.last_version, s.present, s.removed_at "
        "FROM sentences_fts JOIN sentences s ON s.id = sentences_fts.rowid "
        "WHERE sentences_fts MATCH ? ORDER BY s.id",
        ("helene",),
    ).fetchall()
    assert found == [
        (sid, C, 1, 2, 0, "2026-11-28T14:00:00+00:00"),
        (sid, C2, 3, 3, 1, None),
    ]
    texts = con.execute("SELECT version, text FROM versions ORDER BY version").fetchall()
    assert texts[1] == (2, f"{A}\n\n{C}\n\n{D}")
    assert con.execute('SELECT "from", "to", title FROM changes').fetchall()[0] == (
        1, 2, "Station fire: two hurt",
    )  # fmt: skip
    stored = json.loads(con.execute("SELECT value FROM _metadata").fetchone()[0])
    con.close()
    meta = json.loads((out.parent / "metadata.json").read_text())
    assert meta == stored
    tables = meta["databases"]["archive"]["tables"]
    assert set(tables) == {"stories", "versions", "changes", "sentences"}
    assert tables["sentences"]["fts_table"] == "sentences_fts"
    assert not list(out.parent.glob("*.part"))
    stdout = cli("export", "--format", "sqlite", config=config_file)
    assert stdout.code == 2 and "-o PATH" in stdout.stderr
