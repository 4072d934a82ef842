"""Output that reads right anywhere: the real ``tracker`` command with stdout a pipe or a file,
with ``NO_COLOR`` and ``TERM=dumb``, against a colour terminal (``FORCE_COLOR``); and
``--help`` of every command, as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import LocalServer, article_html
from tracker.config import load_settings
from tracker.service import Tracker

OLD = [
    "Governor sends Missouri National Guard to the flooded towns along the river.",
    "The managment of the dam said the water would peak on Friday.",
    "Residents were told to move valuables upstairs.",
]
NEW = [
    "Governor sent Missouri National Guard to the flooded towns along the river.",
    "The management of the dam said the water would peak on Friday.",
    "Residents were told to leave their homes.",
]
ANSI = "\x1b["
LONG = "/news/2026/11/30/a-very-long-path-that-goes-on-and-on-until-it-no-longer-fits/"


@dataclass
class Env:
    config: Path
    server: LocalServer
    url: str


def run(
    env: Env, *args: str, extra: dict[str, str] | None = None, stdout: int | object = None
) -> subprocess.CompletedProcess[str]:
    """The real command, stdout a pipe (or the given file), in UTC unless told otherwise."""
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environ.update({"TZ": "UTC", "COLUMNS": "80", "TERM": "xterm-256color", **(extra or {})})
    cmd = [sys.executable, "-m", "tracker", "--config", str(env.config), *args]
    return subprocess.run(
        cmd,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path, server: LocalServer) -> Iterator[Env]:
    """A story with two versions (the second fixes two words and rewrites a sentence)."""
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "t.db"}"\n\n'
        "[fetch]\nallow_private_addresses = true\nretries = 0\ntimeout = 5\n\n"
        "[schedule]\njitter = 0.0\n"
    )
    url = server.page(LONG + "flood", article_html("Flood <live> [bold]updates[/]", OLD))
    t = Tracker(load_settings(config))
    t.init()
    [added] = t.add([url], interval="2m", max_interval="5m")
    t.check([added.story_id])
    server.page(LONG + "flood", article_html("Flood <live> [bold]updates[/]", NEW))
    t.check([added.story_id])
    t.close()
    yield Env(config, server, url)


# ---------------------------------------------------------------- tracker diff


def test_piped_diff_marks_words_as_git_does(env: Env) -> None:
    r = run(env, "diff", env.url)
    assert r.returncode == 0, r.stderr
    assert ANSI not in r.stdout
    assert "Governor [-sends-]{+sent+} Missouri National Guard" in r.stdout
    assert "The [-managment-]{+management+} of the dam" in r.stdout
    assert "move valuables upstairs" in r.stdout and "leave their homes" in r.stdout
    assert env.url in r.stdout  # the URL in full, on one line
    assert all(len(line) > 0 for line in r.stdout.splitlines()[:2])


@pytest.mark.parametrize(
    "extra",
    [
        {"NO_COLOR": "1", "FORCE_COLOR": "1"},  # a terminal, but no colour wanted
        {"TERM": "dumb", "FORCE_COLOR": "1"},  # a terminal without colours
    ],
)
def test_diff_without_colour_on_a_terminal_is_plain(env: Env, extra: dict[str, str]) -> None:
    r = run(env, "diff", env.url, extra=extra)
    assert ANSI not in r.stdout
    assert "[-sends-]{+sent+}" in r.stdout and "[-managment-]{+management+}" in r.stdout


def test_diff_on_a_colour_terminal_stays_coloured(env: Env) -> None:
    r = run(env, "diff", env.url, extra={"FORCE_COLOR": "1"})
    assert ANSI in r.stdout
    assert "[-" not in r.stdout and "{+" not in r.stdout
    assert "\x1b[9;31msends" in r.stdout and "\x1b[32msent" in r.stdout  # red strike, green


def test_diff_redirected_to_a_file(env: Env, tmp_path: Path) -> None:
    target = tmp_path / "diff.txt"
    with target.open("w") as fh:
        assert run(env, "diff", env.url, stdout=fh).returncode == 0
    text = target.read_text()
    assert "Governor [-sends-]{+sent+} Missouri" in text and ANSI not in text


def test_diff_html_is_a_standalone_page_unless_a_fragment_is_asked(env: Env) -> None:
    page = run(env, "diff", env.url, "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in page
    # The title is page text: escaped, never markup.
    assert "<title>Flood &lt;live&gt; [bold]updates[/] (version 1 -&gt; version 2)" in page
    css = (Path(__file__).parents[1] / "src/tracker/web/static/style.css").read_text()
    assert f"<style>\n{css}</style>" in page  # the web UI's stylesheet, not a copy of it
    assert '<del class="diff-del">sends</del><ins class="diff-ins">sent</ins>' in page
    fragment = run(env, "diff", env.url, "--format", "html", "--fragment").stdout
    assert fragment.startswith('<div class="diff diff-inline') and "<html" not in fragment


# ---------------------------------------------------------------- list, history, add, check


def test_piped_list_is_one_row_per_line_with_full_urls(env: Env) -> None:
    fixed = env.server.page(LONG + "fixed", article_html("Fixed", OLD))
    assert run(env, "add", fixed, "--interval", "3m", "--fixed").returncode == 0
    r = run(env, "list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 4 and lines[-1] == "2 stories"  # header, two rows, count
    assert lines[0].split()[:3] == ["id", "state", "versions"]
    flood = next(ln for ln in lines if ln.endswith("Flood <live> [bold]updates[/]"))
    assert env.url in flood and fixed in r.stdout
    assert re.match(r"\d+ +developing +2 +\d{4}-\d\d-\d\d \d\d:\d\d UTC", flood)
    assert "2m (max 5m)" in flood
    assert "3m fixed" in next(ln for ln in lines if fixed in ln)
    assert "…" not in r.stdout and ANSI not in r.stdout


def test_times_carry_the_local_zone(env: Env) -> None:
    r = run(env, "list", extra={"TZ": "Europe/Paris"})
    assert re.search(r"\d\d:\d\d CET", r.stdout), r.stdout  # November: winter time


def test_piped_history_and_status(env: Env) -> None:
    r = run(env, "history", env.url)
    lines = r.stdout.splitlines()
    assert lines[0] == env.url
    assert lines[1].split()[:2] == ["v", "first"]
    assert re.match(r"2 +\S+ \d\d:\d\d UTC +\S+ \d\d:\d\d UTC +\w+ ", lines[3])
    assert lines[3].endswith("Flood <live> [bold]updates[/]")
    status = run(env, "status").stdout
    assert "queue " in status and "no daemon is running" in status and ANSI not in status


def test_add_tells_when_the_story_is_next_checked(env: Env) -> None:
    fresh = env.server.url(LONG + "fresh")
    r = run(env, "add", fresh, env.url)
    assert r.returncode == 0, r.stderr
    assert f"added  {fresh}  (next check: now)" in r.stdout
    assert re.search(rf"already tracked  {re.escape(env.url)}  \(next check: .* UTC\)", r.stdout)
    r = run(env, "add", fresh, "--json")
    assert r.returncode == 0 and '"next_check": "' in r.stdout


def test_piped_check_lines_are_not_wrapped(env: Env) -> None:
    r = run(env, "check")
    assert re.match(r"nothing is due; next check \S+ \d\d:\d\d UTC \(use --all", r.stdout)
    r = run(env, "check", "--all")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(ln.endswith(env.url) and "unchanged" in ln for ln in lines), r.stdout
    assert re.match(r"1 checked, 0 changed, 0 failed; next check \S+ \d\d:\d\d UTC$", lines[-1])


# ---------------------------------------------------------------- --help


def _commands() -> list[tuple[tuple[str, ...], object]]:
    """Every command and subcommand of the Typer app, with its click object."""
    import typer

    from tracker.cli import app

    found: list[tuple[tuple[str, ...], object]] = []

    def walk(path: tuple[str, ...], command: object) -> None:
        found.append((path, command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk((*path, name), sub)

    walk((), typer.main.get_command(app))
    return found


def _help_sources(command: object) -> list[str]:
    texts = [getattr(command, "help", None) or ""]
    texts += [getattr(p, "help", None) or "" for p in getattr(command, "params", [])]
    return texts


def test_every_help_is_literal_and_has_real_metavars(cli) -> None:  # type: ignore[no-untyped-def]
    commands = _commands()
    assert len(commands) > 20
    for path, command in commands:
        r = cli(*path, "--help")
        assert r.code == 0, (path, r.stderr)
        assert not re.search(r"<(bool|str|int|float|list[^>]*|path|datetime)>", r.stdout), (
            path,
            r.stdout,
        )
        for text in _help_sources(command):
            for section in re.findall(r"\\?(\[[a-z_]+\])", text):
                assert section in r.stdout, (path, section, r.stdout)
    run_help = cli("run", "--help").stdout
    assert "[daemon] log_format" in run_help and "[daemon] metrics_port" in run_help
    assert "DURATION" in cli("add", "--help").stdout


def test_help_through_a_pipe(tmp_path: Path) -> None:
    env = Env(tmp_path / "none.toml", None, "")  # type: ignore[arg-type]
    r = run(env, "add", "--help", extra={"COLUMNS": "200"})  # no wrapping inside the sentence
    assert r.returncode == 0
    assert "(default from [schedule] default_interval)" in r.stdout
    for metavar in ("URL", "PATH", "LABEL", "DURATION", "DATE"):
        assert metavar in r.stdout
    assert "<bool>" not in r.stdout and "<list" not in r.stdout and "<str>" not in r.stdout
