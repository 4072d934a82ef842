"""Engines and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL; migrations."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tracker.errors import ConfigError, TrackerError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _json_dumps(value: object) -> str:
    """JSON columns without the spaces after ``,`` and ``:`` (7% of a stored report)."""
    return json.dumps(value, separators=(",", ":"))


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str, *, echo: bool = False, source: str = "(defaults)") -> Engine:
    """An engine for any SQLAlchemy URL, with the pragmas and pool the tracker needs."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(source, "database.url", f"not a database URL: {url!r}") from exc
    kwargs: dict[str, object] = {"echo": echo, "future": True, "json_serializer": _json_dumps}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            _make_folder(Path(db).expanduser().parent, source)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise ConfigError(
            source, "database.url", f"no driver for {parsed.drivername}: {exc}"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _make_folder(folder: Path, source: str) -> None:
    """The SQLite file's folder, created if missing; one line (exit 2) if it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            source, "database.url", f"cannot create the folder {folder}: {reason}"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with factory() as session, session.begin():
        yield session


def _alembic_config(engine: Engine | None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> str:
    """Bring the schema to the newest revision; safe to run any number of times."""
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        with engine.begin() as conn:
            cfg = _alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise TrackerError(f"cannot reach the database: {exc.orig}") from exc
    except CommandError as exc:
        # A revision this tracker does not know: a newer tracker wrote the database.
        found = current_revision(engine)
        if found is not None and not _known_revision(found):
            raise TrackerError(
                f"the database is at schema {found}, which a newer tracker wrote: "
                "upgrade tracker to use it (this one leaves it untouched)"
            ) from exc
        raise
    return current_revision(engine) or ""


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_alembic_config(None))
    return any(s.revision == revision for s in scripts.walk_revisions())


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_initialised(engine: Engine) -> bool:
    try:
        return inspect(engine).has_table("story")
    except OperationalError as exc:
        raise TrackerError(f"cannot reach the database: {exc.orig}") from exc


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def at_head(engine: Engine) -> bool:
    """Whether the schema is at the newest revision.

    Importing Alembic costs a read command about 0.2 s, most of its start-up, so the usual
    answer comes from the revision files and the ``alembic_version`` table directly; Alembic
    decides whenever the files are not one plain chain this reading understands.
    """
    head = scripted_head()
    if head is None:
        return current_revision(engine) == head_revision()
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return stored == [head]


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


def scripted_head() -> str | None:
    """The newest revision named by the migration files, or None when they are not one chain
    of string revisions with string (or None) parents, each assigned once."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = _ASSIGNMENT.findall(path.read_text(encoding="utf-8"))
        values = dict(found)
        if len(found) != 2 or len(values) != 2:
            return None
        try:
            revision = ast.literal_eval(values["revision"])
            parent = ast.literal_eval(values["down_revision"])
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or not isinstance(parent, str | None):
            return None
        revisions.add(revision)
        if parent is not None:
            parents.add(parent)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None
