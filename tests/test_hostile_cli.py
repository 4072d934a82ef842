"""Hostile input to the command line (issue 11, item 12): each ends with one line on stderr and
exit 2, never a traceback, and leaves the database usable. Run as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def tracker(config: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tracker", "--config", str(config), *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)


def assert_one_line(done: subprocess.CompletedProcess, *expected: str) -> str:
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, (done.returncode, err)
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("error: "), err
    for text in expected:
        assert text in err, err
    return err


def write_config(tmp_path: Path, db: str) -> Path:
    config = tmp_path / "tracker.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n')
    return config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = write_config(tmp_path, str(tmp_path / "cli.db"))
    assert tracker(path, "init").returncode == 0
    return path


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("afile/sub/t.db", id="folder-under-a-file"),
        pytest.param("afile/t.db", id="folder-is-a-file"),
        pytest.param("/proc/x/t.db", id="folder-in-proc"),
    ],
)
def test_a_database_folder_that_cannot_be_created(tmp_path, where):
    (tmp_path / "afile").write_text("not a folder")
    db = where if where.startswith("/") else str(tmp_path / where)
    config = write_config(tmp_path, db)
    for command in (["init"], ["list"]):
        err = assert_one_line(tracker(config, *command), "database.url", "cannot create the folder")
        assert str(Path(db).parent) in err


@pytest.mark.parametrize(
    "until",
    [
        "+99999999d",
        "+9999999999999999999d",
        pytest.param("+" + "9" * 400 + "d", id="+9...9d-infinity"),
        "+3000000d",  # past the year 9999 without overflowing a timedelta
        "9999-12-31T23:00-05:00",  # past the last UTC date
    ],
)
def test_an_until_out_of_range(config, until):
    assert_one_line(tracker(config, "add", "https://example.com/a", "--until", until), until[:20])
    done = tracker(config, "export", "--what", "stories", "--until", until)
    assert_one_line(done, "--until")
    assert json.loads(tracker(config, "list", "--json").stdout) == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"https://example.com/a\n\xff\xfe\n", id="ff-fe"),
        pytest.param("https://example.com/caf\u00e9\n".encode("latin-1"), id="latin-1"),
        pytest.param(b"https://example.com/\xc3\n", id="truncated-utf8"),
    ],
)
def test_a_from_file_that_is_not_utf8(config, tmp_path, data):
    urls = tmp_path / "urls.txt"
    urls.write_bytes(data)
    assert_one_line(tracker(config, "add", "--from-file", str(urls)), "urls.txt", "not UTF-8")
    assert_one_line(tracker(config, "add", "--from-file", "-", stdin=data), "stdin", "not UTF-8")
    # Nothing half-added, and the next add works.
    done = tracker(config, "add", "https://example.com/ok")
    assert done.returncode == 0, done.stderr
    listed = json.loads(tracker(config, "list", "--json").stdout)
    assert [s["url"] for s in listed] == ["https://example.com/ok"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--match", "(?<=a)b"], "bad regular expression '(?<=a)b'"),
        (["--match", "(a)\\1"], "bad regular expression"),
        (["--interval", "99999999999d"], "--interval must be between 1s and 366d"),
    ],
)
def test_a_feed_with_an_unusable_rule(config, args, expected):
    done = tracker(config, "feed", "add", "https://example.com/feed.xml", *args)
    assert_one_line(done, expected)
    assert tracker(config, "feed", "list", "--json").stdout.decode().strip() == "[]"
