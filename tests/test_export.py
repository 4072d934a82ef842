"""Exports: JSONL and CSV round trips, the WARC read back with warcio, the CLI command."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from tests.test_web_fixtures import Stories, make_stories
from tracker import export as exporter
from tracker.clikit import state
from tracker.commands.web import register
from tracker.export import ExportSpec


@pytest.fixture
def stories(server, tracker) -> Stories:
    return make_stories(server, tracker)


def run(tracker, gzip: bool = False, **spec: object) -> bytes:
    buf = io.BytesIO()
    exporter.export(tracker.store, ExportSpec(**spec), buf, gzip=gzip)
    return buf.getvalue()


def jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def from_csv(data: bytes) -> list[dict]:
    """CSV cells back to JSON values: JSON text for lists/objects, empty = null."""
    out = []
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")):
        parsed = {}
        for k, v in row.items():
            if v == "":
                parsed[k] = None
            elif v in ("true", "false"):
                parsed[k] = v == "true"
            elif v[:1] in "[{" or v.lstrip("-").replace(".", "", 1).isdigit():
                try:
                    parsed[k] = json.loads(v)
                except ValueError:
                    parsed[k] = v
            else:
                parsed[k] = v
        out.append(parsed)
    return out


def test_versions_jsonl_has_every_version_with_its_text(tracker, stories):
    rows = jsonl(run(tracker, fmt="jsonl", what="versions"))
    assert sorted((r["story_id"], r["version"]) for r in rows) == sorted(
        [(stories.fire, n) for n in (1, 2, 3)] + [(stories.xss, n) for n in (1, 2)]
    )
    for r in rows:
        url = stories.fire_url if r["story_id"] == stories.fire else stories.xss_url
        v, text = tracker.show(url, r["version"])
        assert r["text"] == text and r["url"] == url and r["raw_sha256"] == v.raw_sha256
        assert r["first_seen"] == v.first_seen.isoformat()
        assert set(r) == set(exporter.FIELDS["versions"])


@pytest.mark.parametrize("what", ["stories", "versions", "changes"])
def test_csv_round_trips_to_the_jsonl(tracker, stories, what):
    as_json = jsonl(run(tracker, fmt="jsonl", what=what))
    as_csv = from_csv(run(tracker, fmt="csv", what=what))
    assert len(as_json) == len(as_csv) > 0
    for j, c in zip(as_json, as_csv, strict=True):
        assert list(c) == list(exporter.FIELDS[what])
        for key, value in j.items():
            if isinstance(value, str) and key not in ("labels", "headers", "report"):
                assert c[key] == value or str(c[key]) == value, key
            else:
                assert c[key] == value, key


def test_stories_and_changes_exports(tracker, stories):
    st = jsonl(run(tracker, fmt="jsonl", what="stories"))
    assert [s["id"] for s in st] == [stories.fire, stories.xss, stories.broken]
    assert st[0]["labels"] == ["fire", "local"] and st[0]["versions"] == 3
    ch = jsonl(run(tracker, fmt="jsonl", what="changes"))
    assert sorted((c["story_id"], c["from"], c["to"]) for c in ch) == [
        (stories.fire, 1, 2),
        (stories.fire, 2, 3),
        (stories.xss, 1, 2),
    ]
    assert [c["at"] for c in ch] == sorted(c["at"] for c in ch)  # oldest first
    assert all(c["report"] and c["class"] for c in ch)


def test_filters(tracker, stories):
    def keys(**spec: object) -> list[tuple[int, int]]:
        rows = jsonl(run(tracker, fmt="jsonl", what="versions", **spec))
        return [(r["story_id"], r["version"]) for r in rows]

    assert {s for s, _ in keys(label="fire")} == {stories.fire}
    assert {s for s, _ in keys(story_id=stories.xss)} == {stories.xss}
    v2 = tracker.show(stories.fire_url, 2)[0].first_seen
    seen = {
        (s.id, v.number): v.first_seen for s in tracker.stories() for v in tracker.history(s.url)[1]
    }
    assert sorted(keys(since=v2)) == sorted(k for k, at in seen.items() if at >= v2)
    assert sorted(keys(until=v2)) == sorted(k for k, at in seen.items() if at < v2)
    assert (stories.fire, 1) in keys(until=v2) and (stories.fire, 2) in keys(since=v2)
    changes = jsonl(run(tracker, fmt="jsonl", what="changes", since=v2, until=v2 + timedelta(0)))
    assert changes == []
    labelled = jsonl(run(tracker, fmt="jsonl", what="changes", label="fire", since=v2))
    assert [(c["from"], c["to"]) for c in labelled] == [(1, 2), (2, 3)]


def _responses(data: bytes) -> list[tuple[dict, bytes, object]]:
    out = []
    for rec in ArchiveIterator(io.BytesIO(data), check_digests="raise"):
        if rec.rec_type == "response":
            headers = dict(rec.rec_headers.headers)
            out.append((headers, rec.content_stream().read(), rec.http_headers))
    return out


@pytest.mark.parametrize("gzip", [False, True])
def test_warc_holds_every_snapshot_with_verified_digests(tracker, stories, gzip):
    data = run(tracker, fmt="warc", what="versions", gzip=gzip)
    assert data[:2] == (b"\x1f\x8b" if gzip else b"WA")
    records = _responses(data)
    expected = [(stories.fire, n) for n in (1, 2, 3)] + [(stories.xss, n) for n in (1, 2)]
    got = sorted(
        (int(h["WARC-Tracker-Story-Id"]), int(h["WARC-Tracker-Version"])) for h, _, _ in records
    )
    assert got == sorted(expected)
    for headers, body, http in records:
        sid, n = int(headers["WARC-Tracker-Story-Id"]), int(headers["WARC-Tracker-Version"])
        url = stories.fire_url if sid == stories.fire else stories.xss_url
        v, raw = tracker.raw(url, n)
        assert body == raw and hashlib.sha256(body).hexdigest() == v.raw_sha256
        assert headers["WARC-Tracker-SHA256"] == v.raw_sha256
        assert headers["WARC-Target-URI"] == v.final_url
        assert headers["WARC-Date"].startswith(v.fetched_at.strftime("%Y-%m-%dT%H:%M:%S"))
        assert headers["WARC-Payload-Digest"].startswith("sha1:")
        assert http.get_statuscode() == "200"
        assert http.get_header("Content-Length") == str(len(body))
        assert http.get_header("Content-Type").startswith("text/html")
    types = [r.rec_type for r in ArchiveIterator(io.BytesIO(data))]
    assert types[0] == "warcinfo" and types.count("metadata") == len(records)


def test_warcio_check_passes(tracker, stories, tmp_path):
    path = tmp_path / "out.warc.gz"
    path.write_bytes(run(tracker, fmt="warc", what="versions", gzip=True))
    warcio = Path(sys.executable).with_name("warcio")
    cmd = [str(warcio)] if warcio.exists() else [sys.executable, "-m", "warcio.cli"]
    r = subprocess.run([*cmd, "check", "-v", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "digest pass" in r.stdout


def test_bad_specs_are_usage_errors(tracker):
    from tracker.errors import UsageError

    for spec in (
        {"fmt": "xml", "what": "versions"},
        {"fmt": "jsonl", "what": "everything"},
        {"fmt": "warc", "what": "stories"},
    ):
        with pytest.raises(UsageError):
            run(tracker, **spec)


@pytest.fixture
def cli_app(tracker, monkeypatch) -> typer.Typer:
    """The `serve` and `export` commands on an app of their own, over the test tracker."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        pass

    register(app)
    monkeypatch.setattr(state, "_tracker", tracker)
    return app


def test_export_command_to_stdout_and_file(cli_app, tracker, stories, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli_app, ["export", "--format", "jsonl", "--what", "stories"])
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == [1, 2, 3]
    out = tmp_path / "v.csv"
    r = runner.invoke(
        cli_app, ["export", "-f", "csv", "-w", "versions", "-l", "fire", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert len(from_csv(out.read_bytes())) == 3 and not Path(f"{out}.part").exists()
    out = tmp_path / "s.warc.gz"
    r = runner.invoke(cli_app, ["export", "-f", "warc", "-o", str(out), "--since", "2000-01-01"])
    assert r.exit_code == 0 and len(_responses(out.read_bytes())) == 5
    r = runner.invoke(cli_app, ["export", "-f", "warc", "-w", "changes"])
    assert r.exit_code != 0
    plain = tmp_path / "plain.warc"  # gzipped per record by default, whatever the file name
    r = runner.invoke(cli_app, ["export", "-f", "warc", "-o", str(plain)])
    assert r.exit_code == 0 and plain.read_bytes()[:2] == b"\x1f\x8b"
    r = runner.invoke(cli_app, ["export", "-f", "warc", "-o", str(plain), "--no-gzip"])
    assert r.exit_code == 0 and plain.read_bytes()[:4] == b"WARC"
    r = runner.invoke(cli_app, ["export", "--story", stories.xss_url])
    assert r.exit_code == 0, r.output
    assert {json.loads(x)["story_id"] for x in r.stdout.splitlines()} == {stories.xss}
    r = runner.invoke(cli_app, ["export", "--story", "https://example.org/not-tracked"])
    assert r.exit_code != 0


def test_unpublished_versions(tracker, stories, server):
    """A 404 makes a tombstone version: in JSONL with unpublished=true, absent from the WARC."""
    server.page("/council", "gone", status=404)
    for _ in range(tracker.settings.schedule.confirm_gone):  # confirmed before it counts
        assert tracker.check([stories.xss])[0].outcome == "failed"
    outcome = tracker.check([stories.xss])[0]
    assert outcome.outcome == "gone" and outcome.version == 3
    rows = jsonl(run(tracker, fmt="jsonl", what="versions", story_id=stories.xss))
    assert [r["unpublished"] for r in rows] == [False, False, True]
    assert rows[-1]["raw_sha256"] is None and rows[-1]["status_code"] == 404
    records = _responses(run(tracker, fmt="warc", what="versions", story_id=stories.xss))
    assert sorted(int(h["WARC-Tracker-Version"]) for h, _, _ in records) == [1, 2]
