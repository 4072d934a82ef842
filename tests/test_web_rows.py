"""One JSON shape per row: ``--json``, the API and the exports agree on names and values."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.test_web_fixtures import Stories, make_stories
from tracker import cli, rowjson
from tracker import export as exporter
from tracker.clikit import state
from tracker.export import ExportSpec
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
