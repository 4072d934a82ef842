"""One JSON shape per row: ``--json``, the API and the exports agree on names and values."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import make_settings
from tests.servers import Route
from tests.test_web_fixtures import Stories, make_stories
from tracker import cli, rowjson
from tracker import export as exporter
from tracker.clikit import state
from tracker.errors import NotFound
from tracker.export import ExportSpec
from tracker.feeds import Discovery, add_feed, poll_due
from tracker.metrics import collect_status
from tracker.service import Tracker
from tracker.store import operations as ops
from tracker.store import queries as q
from tracker.web import create_app, schemas


@pytest.fixture
def stories(server, tracker) -> Stories:
    return make_stories(server, tracker)


@pytest.fixture
def client(tracker, stories) -> TestClient:
    return TestClient(create_app(tracker))


@pytest.fixture
def cli_json(tracker, monkeypatch):
    """``tracker ARGS --json`` in-process over the test tracker, parsed."""
    monkeypatch.setattr(state, "_tracker", tracker)

    def run(*args: str) -> Any:
        r = CliRunner().invoke(cli.app, [*args, "--json"])
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)

    return run


def exported(tracker, what: str, **spec: Any) -> list[dict[str, Any]]:
    buf = io.BytesIO()
    exporter.export(tracker.store, ExportSpec(fmt="jsonl", what=what, **spec), buf)
    return [json.loads(line) for line in buf.getvalue().decode("utf-8").splitlines()]


def by_id(rows: list[dict[str, Any]], key: str = "id") -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows}


def test_a_version_reads_the_same_in_history_the_api_and_the_export(
    client, tracker, stories, cli_json
):
    history = cli_json("history", stories.fire_url)
    api = client.get(f"/api/stories/{stories.fire}/versions").json()["items"]
    export = exported(tracker, "versions", story_id=stories.fire)
    assert [r["version"] for r in history] == [1, 2, 3]
    # The list rows are the same dicts, key for key; the export adds headers and text.
    assert history == api
    assert [list(r) for r in api] == [list(rowjson.VERSION_FIELDS)] * 3
    assert [list(r) for r in export] == [list(rowjson.VERSION_DETAIL_FIELDS)] * 3
    for listed, full in zip(history, export, strict=True):
        assert {k: full[k] for k in listed} == listed
        detail = client.get(f"/api/stories/{stories.fire}/versions/{listed['version']}").json()
        assert detail == full
    # The CLI contract's names hold; the old names stay as aliases with the same value.
    v2, text = tracker.show(stories.fire_url, 2)
    assert history[1]["first_seen"] == v2.first_seen.isoformat() and export[1]["text"] == text
    assert history[1]["sha256"] == v2.raw_sha256 and history[1]["class"] and history[1]["summary"]
    for row in (*history, *api, *export):
        assert row["number"] == row["version"] and row["raw_sha256"] == row["sha256"]
        assert row["first_seen"].endswith("+00:00")


def test_a_story_reads_the_same_in_list_the_api_and_the_export(client, tracker, cli_json):
    listed = by_id(cli_json("list"))
    api = by_id(client.get("/api/stories").json()["items"])
    export = by_id(exported(tracker, "stories"))
    assert listed == api == export and len(listed) == 3
    detail = client.get(f"/api/stories/{min(api)}").json()
    assert {k: detail[k] for k in rowjson.STORY_FIELDS} == api[min(api)]
    assert all(list(r) == list(rowjson.STORY_FIELDS) for r in listed.values())


def test_a_change_and_a_check_read_as_their_serialiser_says(client, tracker, stories):
    api = by_id(client.get("/api/changes").json()["items"])
    export = by_id(exported(tracker, "changes"))
    assert set(api) == set(export) and len(api) == 3
    for cid, row in api.items():
        assert list(row) == list(rowjson.CHANGE_FIELDS)
        assert export[cid] == {**row, "report": export[cid]["report"]}
        assert row == rowjson.change_json(tracker.store.read(q.change_by_id, cid))
    checks = client.get(f"/api/stories/{stories.fire}/checks").json()["items"]
    stored = tracker.store.read(q.checks, stories.fire)
    assert checks == [rowjson.check_json(c) for c in stored]
    assert all(list(c) == list(rowjson.CHECK_FIELDS) for c in checks)
    assert all(c["raw_sha256"] == c["sha256"] and c["story_id"] == stories.fire for c in checks)


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (schemas.Story, rowjson.STORY_FIELDS),
        (schemas.Version, rowjson.VERSION_FIELDS),
        (schemas.VersionDetail, rowjson.VERSION_DETAIL_FIELDS),
        (schemas.Change, rowjson.CHANGE_FIELDS),
        (schemas.Check, rowjson.CHECK_FIELDS),
    ],
)
def test_the_api_schemas_mirror_the_serialisers(model, fields):
    names = [info.alias or name for name, info in model.model_fields.items()]
    assert names == list(fields)


def test_aliases_are_documented_as_deprecated(client):
    components = client.get("/api/openapi.json").json()["components"]["schemas"]
    model = {"story": "Story", "version": "Version", "change": "Change", "check": "Check"}
    for kind, aliases in rowjson.ALIASES.items():
        props = components[model[kind]]["properties"]
        for alias, canonical in aliases.items():
            assert props[alias].get("deprecated") is True, (kind, alias)
            assert canonical in props[alias]["description"]
            assert not props[canonical].get("deprecated")


# ---------------------------------------------------------------- both backends


@pytest.fixture
def any_tracker(db_url: str) -> Iterator[Tracker]:
    t = Tracker(make_settings(db_url))
    t.init()
    yield t
    t.close()


def test_every_front_end_read_on_sqlite_and_postgresql(any_tracker, server):
    """The pages, the API, feeds and exports through the store's read functions."""
    t, st = any_tracker, make_stories(server, any_tracker)
    client = TestClient(create_app(t))
    fire = f"/stories/{st.fire}"
    for path in (
        "/?label=local",
        fire,
        f"{fire}/diff/1/3",
        f"{fire}/versions/2",
        f"{fire}/versions/2/raw?view=text",
        f"{fire}/changes.atom",
        "/feeds/labels/local.atom",
        f"/api/stories/{st.broken}/checks?failed=true",
    ):
        assert client.get(path).status_code == 200, path
    api = client.get(f"/api{fire}/versions").json()["items"]
    export = exported(t, "versions", label="fire")
    assert [{k: e[k] for k in a} for a, e in zip(api, export, strict=True)] == api
    assert api[1]["class"] and api[1]["summary"]  # the change joined in, in both reads
    found = client.get("/api/stories", params={"label": "local", "order": "id"}).json()
    assert [s["id"] for s in found["items"]] == [st.fire, st.xss] and found["total"] == 2
    polled = client.get("/api/changes", params={"since": api[0]["first_seen"]}).json()
    assert polled["total"] == 3 and polled["next_since"] == max(c["at"] for c in polled["items"])
    assert len(exported(t, "changes", story_id=st.xss)) == 1
    warc = io.BytesIO()
    assert exporter.export(t.store, ExportSpec(fmt="warc", what="versions"), warc) == 5
    assert client.get(f"/api/stories/{st.broken}/versions/1").status_code == 404


def test_feeds_and_status_on_sqlite_and_postgresql(any_tracker, server):
    t = any_tracker
    server.page("/a", "<html><body><p>a</p></body></html>")
    body = (
        f'<rss version="2.0"><channel><item><link>{server.url("/a")}</link></item></channel></rss>'
    )
    server.routes["/feed.xml"] = Route(
        body=body.encode(), headers={"Content-Type": "application/rss+xml"}
    )
    info, created = add_feed(t.store, server.url("/feed.xml"), now=t.clock(), match="all")
    assert created
    (result,) = asyncio.run(poll_due(Discovery.of(t.settings, t.store), owner="t"))
    assert result.added == (server.url("/a"),) and t.stories()[0].origin == "feed"
    assert t.store.read(q.list_feeds)[0].added == 1
    assert t.store.write(q.remove_feed_by_url, info.url).id == info.id
    with pytest.raises(NotFound):
        t.store.write(q.remove_feed_by_url, info.url)
    now = t.clock()
    t.store.write(ops.register_daemon, "d1", "host", 1, now)
    status = collect_status(t.store, now, heartbeat="d1")
    assert status.stories == {"developing": 1} and status.due == 1
    assert [d["name"] for d in status.daemons] == ["d1"] and status.daemons[0]["alive"]
    assert collect_status(t.store, now).to_json() == status.to_json()
