from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.servers import LocalServer
from tracker.config import Settings, load_settings
from tracker.service import Tracker
from tracker.store import db

CORPUS = Path(
    os.environ.get("TRACKER_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
SEED = CORPUS.parent / "seed"


def sessions(tracker: Tracker) -> sessionmaker[Session]:
    """Sessions on a tracker's database, for tests that look at rows directly."""
    return db.session_factory(tracker.store.engine)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    s = LocalServer().start()
    yield s
    s.stop()


def make_settings(db_url: str, **fetch: object) -> Settings:
    settings = load_settings(None)
    settings.database.url = db_url
    settings.fetch.allow_private_addresses = True
    settings.fetch.retries = 0
    settings.fetch.retry_backoff = 0.01
    settings.fetch.timeout = 5.0
    settings.schedule.jitter = 0.0
    for k, v in fetch.items():
        setattr(settings.fetch, k, v)
    return settings


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url)


@pytest.fixture
def tracker(settings: Settings) -> Iterator[Tracker]:
    t = Tracker(settings)
    t.init()
    yield t
    t.close()


# ---------------------------------------------------------------- the CLI, in-process


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run ``tracker ARGS`` in-process against a config in tmp_path; returns CliResult."""
    from tracker import cli as cli_module

    def run(*args: str, config: Path | None = None, stdin: str | None = None) -> CliResult:
        # A real byte buffer under stdout, so `show --raw` can write bytes as it does in a shell.
        out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline=""), io.StringIO()
        cfg = config or tmp_path / "tracker.toml"
        argv = ["tracker", "--config", str(cfg), *args]
        monkeypatch.setattr(sys, "argv", argv)
        monkeypatch.setattr(cli_module.state, "_tracker", None)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli_module.main(exit_fast=False)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            finally:
                if cli_module.state._tracker is not None:
                    cli_module.state._tracker.close()
        out.flush()
        return CliResult(code, out.buffer.getvalue().decode("utf-8"), err.getvalue())

    return run


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n\n'
        "[fetch]\nallow_private_addresses = true\nretries = 0\ntimeout = 5\n\n"
        "[schedule]\njitter = 0.0\n"
    )
    return path


# ---------------------------------------------------------------- PostgreSQL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_private_postgres() -> tuple[str, callable] | None:  # type: ignore[valid-type]
    """initdb + pg_ctl in a temp dir, as the postgres user when we are root."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        return None
    bindir = bins[-1]
    tmp = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return None
        shutil.chown(tmp, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = tmp / "data"
    try:
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [
                *run_as,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(tmp / "log"),
                "-w",
                "-o",
                f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.SubprocessError, OSError):
        return None

    def stop() -> None:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(tmp, ignore_errors=True)

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL server: $TRACKER_TEST_PG_URL (CI starts one), else a private one."""
    url = os.environ.get("TRACKER_TEST_PG_URL")
    stop = None
    if not url:
        started = _start_private_postgres()
        if started is None:
            pytest.skip("no PostgreSQL server available (set TRACKER_TEST_PG_URL)")
        url, stop = started
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    yield url
    if stop:
        stop()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = pg_admin_url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
