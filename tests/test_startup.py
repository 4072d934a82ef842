"""Start-up: read commands and `--help` import only what they use.

Each command runs in a fresh interpreter (a subprocess), which records the modules it has
loaded when it exits; the heavy libraries of fetching, extraction, the web and the channels
must not be among them. How long start-up takes is measured in benchmarks/bench_startup.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tracker.store import Store, db

SRC = Path(__file__).resolve().parents[1] / "src"

# What fetching, extraction, the web UI, the channels and the exports need; no read command.
HEAVY = (
    "trafilatura",
    "readability",
    "justext",
    "lxml.html.clean",
    "lxml.html",
    "fastapi",
    "starlette",
    "uvicorn",
    "apprise",
    "playwright",
    "httpx",
    "aiohttp",
    "feedparser",
    "warcio",
    "jinja2",
)
# `--help` and `--version` need no database either.
DATABASE = ("sqlalchemy", "alembic")

# Runs the CLI in this interpreter and writes sys.modules to a file when it exits.
RUNNER = """
import atexit, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
{body}
"""


def modules_after(tmp_path: Path, body: str, *argv: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``body`` with ``argv``."""
    out = tmp_path / "modules.json"
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("TRACKER_CONFIG", None)
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER.format(body=body), str(out), *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(out.read_text()))


def run_cli(tmp_path: Path, *args: str) -> set[str]:
    return modules_after(tmp_path, "from tracker.cli import main\nmain()", *args)


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in modules)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "fresh.db"}"\n')
    return path


def test_importing_the_cli_loads_no_heavy_library(tmp_path: Path) -> None:
    modules = modules_after(tmp_path, "import tracker.cli")
    assert "tracker.cli" in modules
    assert loaded(modules, HEAVY + DATABASE) == []


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("list", "--help")])
def test_help_and_version_load_no_heavy_library_and_no_database(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    assert loaded(run_cli(tmp_path, *args), HEAVY + DATABASE) == []


def test_list_on_a_fresh_database_loads_no_heavy_library(tmp_path: Path, config: Path) -> None:
    modules = run_cli(tmp_path, "--config", str(config), "list")
    assert "sqlalchemy" in modules  # it did read the database
    assert loaded(modules, HEAVY) == []


def test_read_commands_on_a_migrated_database_load_no_alembic(tmp_path: Path, config: Path) -> None:
    """Alembic is half of a read command's start-up; a schema at head needs none of it."""
    run_cli(tmp_path, "--config", str(config), "init")
    run_cli(tmp_path, "--config", str(config), "add", "https://example.org/news/a")
    for args in (("list",), ("history", "https://example.org/news/a"), ("status",)):
        modules = run_cli(tmp_path, "--config", str(config), *args)
        assert loaded(modules, (*HEAVY, "alembic")) == [], args


def test_plain_options_load_no_pydantic(tmp_path: Path, config: Path) -> None:
    """Typer's option coercion imports pydantic (~0.13 s) only for a value that needs it
    (tracker/typer_lazy.py): not for flags, strings, defaults or a list of URLs."""
    run_cli(tmp_path, "--config", str(config), "init")
    url = "https://example.org/news/a"
    run_cli(tmp_path, "--config", str(config), "add", url)
    for args in (("list",), ("history", url), ("status",), ("list", "--json")):
        assert "pydantic" not in run_cli(tmp_path, "--config", str(config), *args), args


def test_check_with_nothing_due_loads_no_check_machinery(tmp_path: Path, config: Path) -> None:
    """A cron line running `tracker check` every few minutes pays only for reading the queue."""
    run_cli(tmp_path, "--config", str(config), "init")
    modules = run_cli(tmp_path, "--config", str(config), "check", "--quiet")
    machinery = ("alembic", "pydantic", "tracker.check.runner", "tracker.fetch")
    assert loaded(modules, (*HEAVY, *machinery)) == []


def test_aiohttp_loads_without_the_system_ca_store_and_leaves_it_alone(tmp_path: Path) -> None:
    """aiohttp's import-time default contexts skip the CA store (~50 ms of every check's
    start-up); they trust nothing (fail closed), and every other context loads it as before."""
    import ssl

    if not ssl.create_default_context().cert_store_stats()["x509_ca"]:
        pytest.skip("this system has no CA store to leave out")
    body = (
        "import ssl, tracker.fetch\n"
        "from aiohttp import connector\n"
        "print(connector._SSL_CONTEXT_VERIFIED.verify_mode == ssl.CERT_REQUIRED)\n"
        "print(connector._SSL_CONTEXT_VERIFIED.cert_store_stats()['x509_ca'])\n"
        "print(ssl.create_default_context().cert_store_stats()['x509_ca'] > 0)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", body], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "0", "True"]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["check", "--all"], "check"),
        (["--config", "check", "list"], "list"),  # the value of --config is no command
        (["-c", "x.toml", "feed", "list"], "feed"),
        (["--config=x.toml", "history", "u"], "history"),
        (["-cx.toml", "status"], "status"),
        (["--help"], None),
        (["--version", "check"], None),
        ([], None),
    ],
)
def test_the_command_is_read_after_the_global_options(argv: list[str], named: str | None) -> None:
    from tracker import cli

    assert cli._command_named(argv) == named


def test_only_the_named_command_is_built_and_the_app_is_whole_after() -> None:
    """Typer builds every command's parameters before parsing: a run builds only its own."""
    import typer.main

    from tracker import cli

    everything = typer.main.get_command(cli.app)
    with cli._only_the_command(["--config", "t.toml", "check", "--all"]):
        assert sorted(typer.main.get_command(cli.app).commands) == ["check"]  # type: ignore[attr-defined]
    with cli._only_the_command(["feed", "list"]):
        assert sorted(typer.main.get_command(cli.app).commands) == ["feed"]  # type: ignore[attr-defined]
    with cli._only_the_command(["chek"]):  # no such command: Click lists them all
        assert typer.main.get_command(cli.app).commands.keys() == everything.commands.keys()  # type: ignore[attr-defined]
    assert typer.main.get_command(cli.app).commands.keys() == everything.commands.keys()  # type: ignore[attr-defined]
    assert len(everything.commands) >= 20  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the schema check


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert db.scripted_head() is not None
    assert db.scripted_head() == db.head_revision()


def test_at_head_only_when_the_stored_revision_is_the_newest(tmp_path: Path) -> None:
    from alembic import command

    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert not db.at_head(engine)  # no alembic_version table at all
    with engine.begin() as conn:
        cfg = db._alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    assert not db.at_head(engine)
    db.migrate(engine)
    assert db.at_head(engine)
    engine.dispose()


def test_a_database_behind_is_migrated_by_its_first_read(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg = db._alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    engine.dispose()
    store = Store(url)
    store.ready()
    assert db.current_revision(store.engine) == db.head_revision()
    store.close()


@pytest.mark.parametrize(
    "files",
    [
        {"a.py": 'revision = "a"\ndown_revision = None\n', "b.py": 'revision = "b"\n'},
        {  # two heads
            "a.py": 'revision = "a"\ndown_revision = None\n',
            "b.py": 'revision = "b"\ndown_revision = "a"\n',
            "c.py": 'revision = "c"\ndown_revision = "a"\n',
        },
        {  # a merge revision: its parents are a tuple
            "a.py": 'revision = "a"\ndown_revision = None\n',
            "b.py": 'revision = "b"\ndown_revision = ("a", "x")\n',
        },
        {"a.py": "revision = make_id()\ndown_revision = None\n"},
        {"a.py": 'revision = "a"\ndown_revision = "gone"\n'},  # a parent with no file
    ],
)
def test_files_this_reading_does_not_understand_leave_the_answer_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, text in files.items():
        (versions / name).write_text(text)
    monkeypatch.setattr(db, "MIGRATIONS", tmp_path)
    assert db.scripted_head() is None


def test_annotated_revisions_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "1.py").write_text('revision: str = "1"\ndown_revision: str | None = None\n')
    (versions / "2.py").write_text("revision: str = '2'\ndown_revision: str | None = '1'\n")
    monkeypatch.setattr(db, "MIGRATIONS", tmp_path)
    assert db.scripted_head() == "2"


def test_a_command_leaves_the_database_whole_in_its_file(tmp_path: Path, config: Path) -> None:
    """The command line ends without tearing the interpreter down (``cli.main``), but closes
    the database first: SQLite folds its write-ahead log into the file, so a copy of the file
    alone is the whole archive (a fresh `init` + `add` used to leave it all in the WAL)."""
    run_cli(tmp_path, "--config", str(config), "add", "https://example.org/news/a")
    wal = tmp_path / "fresh.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(f"file:{tmp_path / 'fresh.db'}?mode=ro", uri=True) as db:
        assert db.execute("SELECT url FROM story").fetchall() == [("https://example.org/news/a",)]
    db.close()
