"""One writer at a time on a SQLite file, handed over at once between processes.

SQLite lets one transaction write at a time. A writer that finds the file locked sleeps in
its busy handler for 1, 2, 5, 10 ... up to 100 ms between tries, so with several processes
writing (the daemon's shards, a sharded ``tracker check``) a turn freed after 3 ms could be
taken up 50 ms later, while the process that freed it takes it again. The gate is an OS
lock (``flock``) on ``<db>.write-lock`` taken around each write transaction; a waiter tries
it again every 0.5 to 2 ms.

It only orders writers; SQLite's own lock still guards the data. A process that does not
use the gate (an older tracker, the ``sqlite3`` shell) is waited for by SQLite as before,
and a gate not free within ``WAIT_S`` is passed by: the write then waits on SQLite's
``busy_timeout`` as without it. The kernel frees the lock of a process that dies, even by
``kill -9``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

WAIT_S = 30.0  # the same as SQLite's busy_timeout: then the write goes on without the gate
POLL_S = 0.0005  # first pause when the gate is taken; doubles up to MAX_POLL_S
MAX_POLL_S = 0.002


class WriteGate:
    """The gate of one SQLite file, for every thread of this process."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".write-lock")
        self._threads = threading.Lock()  # flock does not order this process's own threads
        self._fd: int | None = None
        self._pid = 0  # the process that opened _fd (a forked child opens its own)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            fd = self._open()
            locked = fd is not None and _lock(fd)
            try:
                yield
            finally:
                if locked:
                    assert fd is not None
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int | None:
        if self._fd is None or self._pid != os.getpid():
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError:  # a read-only folder: SQLite alone orders the writers
                return None
            self._pid = os.getpid()
        return self._fd


def _lock(fd: int) -> bool:
    """Take the lock, pausing briefly between tries; False after ``WAIT_S``."""
    deadline = time.monotonic() + WAIT_S
    pause = POLL_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(MAX_POLL_S, pause * 2)
