"""`tracker serve` and `tracker export` as commands: defaults from [web], the progress bar."""

from __future__ import annotations

import io
import json

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from tests.test_web_fixtures import make_stories
from tracker.clikit import state
from tracker.commands import web as web_commands


@pytest.fixture
def app(tracker, monkeypatch) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        pass

    web_commands.register(app)
    monkeypatch.setattr(state, "_tracker", tracker)
    return app


def test_serve_binds_to_web_settings(app, tracker, monkeypatch):
    calls = []
    monkeypatch.setattr("uvicorn.run", lambda asgi, **kw: calls.append((asgi, kw)))
    r = CliRunner().invoke(app, ["serve"])
    assert r.exit_code == 0, r.output
    ((asgi, kw),) = calls
    assert (kw["host"], kw["port"]) == ("127.0.0.1", 8787)
    assert asgi.state.web.tracker is tracker and "warning" not in r.output
    r = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9001"])
    assert calls[-1][1]["host"] == "0.0.0.0" and calls[-1][1]["port"] == 9001
    assert "warning" in r.output and "read-only" in r.output


def test_export_shows_a_progress_bar_on_a_terminal(app, tracker, server, tmp_path, monkeypatch):
    make_stories(server, tracker)
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100, highlight=False)
    monkeypatch.setattr(web_commands, "err", terminal)
    out = tmp_path / "v.jsonl"
    r = CliRunner().invoke(app, ["export", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert len(out.read_text().splitlines()) == 5
    shown = screen.getvalue()
    assert "exporting versions" in shown and "5/5" in shown and "wrote 5 versions" in shown
    # To stdout: the data alone, no bar and no message.
    r = CliRunner().invoke(app, ["export", "--what", "stories"])
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == [1, 2, 3]
    assert screen.getvalue() == shown


def test_export_rejects_bad_dates(app):
    r = CliRunner().invoke(app, ["export", "--since", "yesterday-ish"])
    assert r.exit_code != 0
