"""Third-party archiving against a local fake Save Page Now endpoint that fails, rate-limits
(429 + Retry-After) and answers in each of the shapes the tracker reads."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient

from tests.servers import LocalServer, article_html
from tracker import archive
from tracker.config import ArchiveSettings
from tracker.service import Tracker
from tracker.store.archive import archive_counts

PARAS = ["The bridge closed on Monday after inspectors found cracks.", "Repairs will take weeks."]


class FakeArchive:
    """POST url=... -> the next scripted answer (status, headers, JSON body); then success."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], dict[str, object] | None]] = []
        self.posts: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                page = parse_qs(body)["url"][0]
                with fake.lock:
                    fake.posts.append((page, dict(self.headers.items())))
                    status, headers, data = fake.script.pop(0) if fake.script else fake.ok(page)
                raw = json.dumps(data).encode() if data is not None else b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/save"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def ok(self, page: str) -> tuple[int, dict[str, str], dict[str, object]]:
        return 200, {}, {"timestamp": "20261130120000", "original_url": page}


@pytest.fixture
def fake() -> Iterator[FakeArchive]:
    f = FakeArchive()
    yield f
    f.httpd.shutdown()
    f.httpd.server_close()


@pytest.fixture
def archiving(tracker: Tracker, fake: FakeArchive, monkeypatch: pytest.MonkeyPatch) -> Tracker:
    monkeypatch.setenv("ARCHIVE_ACCESS_KEY", "key1")
    monkeypatch.setenv("ARCHIVE_SECRET_KEY", "sec1")
    tracker.settings.archive = ArchiveSettings(
        enabled=True,
        endpoint=fake.url,
        access_key="${ARCHIVE_ACCESS_KEY}",
        secret_key="${ARCHIVE_SECRET_KEY}",
        max_attempts=3,
        timeout=5,
    )
    return tracker


def three_versions(tracker: Tracker, server: LocalServer) -> tuple[int, str]:
    url = server.page("/bridge", article_html("Bridge closed", PARAS))
    [added] = tracker.add([url])
    for n in range(3):
        server.page("/bridge", article_html(f"Bridge closed (update {n})", PARAS))
        tracker.check([added.story_id])
    tracker.check([added.story_id])  # unchanged: no new submission
    return added.story_id, url


def pass_at(tracker: Tracker, minutes: float = 0) -> archive.ArchiveStats:
    now = tracker.clock() + timedelta(minutes=minutes)
    return archive.deliver(tracker.store, tracker.settings, owner="t", now=now)


def test_each_version_is_archived_once_through_failures_and_rate_limits(
    archiving: Tracker, server: LocalServer, fake: FakeArchive, cli, sqlite_url, tmp_path
) -> None:
    _, url = three_versions(archiving, server)
    assert archive_counts_of(archiving) == {"pending": 3}
    fake.script = [(500, {}, None), (429, {"Retry-After": "120"}, None)]
    first = pass_at(archiving)
    assert (first.archived, first.retried, first.failed) == (0, 2, 0)
    assert len(fake.posts) == 2  # the rate limit ended the pass: the third job waits
    assert fake.posts[0][1]["Authorization"] == "LOW key1:sec1"
    second = pass_at(archiving)  # the released job is still due; the others back off
    assert second.archived == 1 and len(fake.posts) == 3
    # A minute on, the 500's backoff (about 30 s) is over; the 429's Retry-After (120 s) is not.
    assert pass_at(archiving, minutes=1).archived == 1 and len(fake.posts) == 4
    assert pass_at(archiving, minutes=3).archived == 1
    assert archive_counts_of(archiving) == {"done": 3}
    assert pass_at(archiving, minutes=120).archived == 0 and len(fake.posts) == 5
    config = tmp_path / "same-db.toml"
    config.write_text(f'[database]\nurl = "{sqlite_url}"\n')
    rows = json.loads(cli("history", url, "--json", config=config).stdout)
    assert [r["archive_url"] for r in rows] == [
        f"http://127.0.0.1:{fake.httpd.server_address[1]}/web/20261130120000/{url}"
    ] * 3
    assert all(r["archived_at"] for r in rows)


def archive_counts_of(tracker: Tracker) -> dict[str, int]:
    return tracker.store.read(archive_counts)


def test_a_submission_fails_for_good_after_max_attempts(archiving, server, fake) -> None:  # type: ignore[no-untyped-def]
    url = server.page("/one", article_html("One", PARAS))
    [added] = archiving.add([url])
    archiving.check([added.story_id])
    fake.script = [(502, {}, None)] * 3
    for minutes in (0, 60, 180):
        pass_at(archiving, minutes)
    assert archive_counts_of(archiving) == {"failed": 1} and len(fake.posts) == 3


def test_answers_in_other_shapes_and_hostile_ones(archiving, server, fake) -> None:  # type: ignore[no-untyped-def]
    url = server.page("/two", article_html("Two", PARAS))
    [added] = archiving.add([url])
    archiving.check([added.story_id])
    fake.script = [
        (200, {}, {"archive_url": "javascript:alert(1)"}),  # not http(s): not taken
        (302, {"Content-Location": "/web/2026/x"}, None),
    ]
    assert pass_at(archiving).retried == 1
    assert pass_at(archiving, minutes=60).archived == 1
    [v] = archiving.store.read(_versions, added.story_id)
    assert v.archive_url == f"http://127.0.0.1:{fake.httpd.server_address[1]}/web/2026/x"


def _versions(session, story_id):  # type: ignore[no-untyped-def]
    from tracker.store import queries as q

    return q.versions(session, story_id)


def test_off_by_default_and_a_missing_key_waits(tracker, server, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = server.page("/three", article_html("Three", PARAS))
    [added] = tracker.add([url])
    tracker.check([added.story_id])
    assert archive_counts_of(tracker) == {}
    assert pass_at(tracker).archived == 0 and fake.posts == []
    tracker.settings.archive = ArchiveSettings(enabled=True, endpoint="${NO_SUCH_ARCHIVE_VAR}")
    monkeypatch.delenv("NO_SUCH_ARCHIVE_VAR", raising=False)
    assert pass_at(tracker).archived == 0 and fake.posts == []


def test_the_archive_url_shows_in_the_web_ui(archiving, server, fake) -> None:  # type: ignore[no-untyped-def]
    from tracker.web import create_app

    url = server.page("/four", article_html("Four", PARAS))
    [added] = archiving.add([url])
    archiving.check([added.story_id])
    assert pass_at(archiving).archived == 1
    client = TestClient(create_app(archiving))
    page = client.get(f"/stories/{added.story_id}/versions/1").text
    assert f'href="http://127.0.0.1:{fake.httpd.server_address[1]}/web/20261130120000/' in page
    api = client.get(f"/api/stories/{added.story_id}/versions").json()
    items = api["items"] if isinstance(api, dict) else api
    assert items[0]["archive_url"].endswith(url)


@pytest.fixture
def db_archiving(db_url: str, fake: FakeArchive) -> Iterator[Tracker]:
    from tests.conftest import make_settings

    settings = make_settings(db_url)
    settings.archive = ArchiveSettings(enabled=True, endpoint=fake.url, timeout=5)
    t = Tracker(settings)
    t.init()
    yield t
    t.close()


def test_the_archive_outbox_on_each_database(db_archiving, server, fake) -> None:  # type: ignore[no-untyped-def]
    three_versions(db_archiving, server)
    fake.script = [(429, {"Retry-After": "120"}, None)]
    assert pass_at(db_archiving).retried == 1 and len(fake.posts) == 1
    assert pass_at(db_archiving).archived == 2  # the released two
    assert pass_at(db_archiving, minutes=3).archived == 1
    assert archive_counts_of(db_archiving) == {"done": 3}
    assert "Authorization" not in fake.posts[0][1]  # no keys configured, none sent
