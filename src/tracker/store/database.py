"""`Store`: the database as one object; the only way the rest of the tracker reaches SQL.

Sessions and SQLAlchemy types never leave the ``store`` package. A caller names a query
function of :mod:`tracker.store.queries` and the store runs it in a session of its own::

    store = Store("sqlite:///tracker.db")
    versions = store.read(q.versions, story_id)             # a read-only session
    store.write(q.set_paused, story_id, True, now)          # one transaction, all or nothing

Every query takes the session as its first argument and returns plain dataclasses
(:mod:`tracker.store.rows`), so ``read`` and ``write`` are typed end to end. A multi-step
unit of work (recording a check, claiming a batch) is itself one store function, run by one
``write``.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, Literal, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from tracker.errors import StoreError
from tracker.store import db
from tracker.store.write_gate import WriteGate

log = logging.getLogger("tracker.store")

P = ParamSpec("P")
R = TypeVar("R")


def backend_of(url: str) -> str:
    """``sqlite`` or ``postgresql``: the dialect a database URL names."""
    return make_url(url).get_backend_name()


class Store:
    """One database (SQLite or PostgreSQL), opened lazily: no I/O in the constructor."""

    def __init__(self, url: str, *, echo: bool = False, source: str = "(defaults)") -> None:
        self.url = url
        self._echo = echo
        self._source = source
        self._engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None
        self._gate: WriteGate | Literal[False] | None = None  # None: not looked at yet

    # ------------------------------------------------------------- running queries

    def read(self, query: Callable[Concatenate[Session, P], R], *a: P.args, **k: P.kwargs) -> R:
        """Run ``query(session, ...)`` in a session of its own; nothing is committed."""
        try:
            with self._sessions()() as session:
                return query(session, *a, **k)
        except DBAPIError as exc:
            raise StoreError(_reason(exc)) from exc

    def write(self, query: Callable[Concatenate[Session, P], R], *a: P.args, **k: P.kwargs) -> R:
        """Run ``query(session, ...)`` in one transaction: committed whole or rolled back.

        A transaction PostgreSQL aborts to break a deadlock or a serialization conflict is
        run again (it had no effect); any other database error reaches the caller as a
        ``StoreError`` that says what the database said ("database or disk is full").
        """
        for attempt in range(1, RETRIES + 1):
            try:
                with self._write_gate(), db.transaction(self._sessions()) as session:
                    return query(session, *a, **k)
            except DBAPIError as exc:
                if attempt == RETRIES or not _retryable(exc):
                    raise StoreError(_reason(exc)) from exc
                log.warning("transaction aborted (%s), trying again", _sqlstate(exc))
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    def _write_gate(self) -> contextlib.AbstractContextManager[None]:
        """On a SQLite file, its ``WriteGate``; elsewhere nothing to take."""
        if self._gate is None:
            path = self.sqlite_path
            self._gate = WriteGate(path) if path is not None else False
        return self._gate.held() if self._gate else contextlib.nullcontext()

    # ------------------------------------------------------------- schema and lifecycle

    def init(self) -> str:
        """Create or upgrade the schema; safe to run any number of times."""
        return db.migrate(self.engine)

    def ready(self) -> None:
        """Migrate a database that is new or behind, so every command works on a fresh file."""
        if not db.at_head(self.engine):
            db.migrate(self.engine)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._factory = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = db.make_engine(self.url, echo=self._echo, source=self._source)
        return self._engine

    def _sessions(self) -> sessionmaker[Session]:
        if self._factory is None:
            self.ready()
            self._factory = db.session_factory(self.engine)
        return self._factory

    # ------------------------------------------------------------- facts about the URL

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql`` (the dialect name)."""
        return backend_of(self.url)

    @property
    def sqlite_path(self) -> Path | None:
        """The database file on SQLite (None in memory or on another backend)."""
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        database = url.database
        if str(url.query.get("uri", "")).lower() in ("true", "1") and database.startswith("file:"):
            # SQLite's URI form (file:tracker.db?mode=ro&uri=true): the path inside it
            if url.query.get("mode") == "memory":
                return None
            database = unquote(urlsplit(database).path)
            if not database or database == ":memory:":
                return None
        return Path(database).expanduser().resolve()

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden, for logs and messages."""
        return make_url(self.url).render_as_string(hide_password=True)


RETRIES = 4
# deadlock_detected, serialization_failure: PostgreSQL rolled the transaction back whole.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _retryable(exc: DBAPIError) -> bool:
    return _sqlstate(exc) in RETRYABLE_SQLSTATES


def _reason(exc: DBAPIError) -> str:
    """The database's own words, one line: "database or disk is full"."""
    text = str(exc.orig).strip().splitlines()
    return f"database error: {text[0] if text else type(exc.orig).__name__}"
