"""The SQLite write gate (``store/write_gate.py``): one writer at a time across processes,
handed over without SQLite's sleeps, freed when its holder dies, passed by after WAIT_S."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tracker.store import write_gate
from tracker.store.write_gate import WriteGate


def _hold(db: str, ready: multiprocessing.synchronize.Event, seconds: float) -> None:
    with WriteGate(Path(db)).held():
        ready.set()
        time.sleep(seconds)


def _holder(tmp_path: Path, seconds: float) -> multiprocessing.Process:
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    proc = ctx.Process(target=_hold, args=(str(tmp_path / "t.db"), ready, seconds))
    proc.start()
    assert ready.wait(10)
    return proc


def test_a_writer_waits_for_another_process_and_goes_on_at_once(tmp_path):
    holder = _holder(tmp_path, 0.5)
    started = time.monotonic()
    with WriteGate(tmp_path / "t.db").held():
        waited = time.monotonic() - started
    holder.join(5)
    assert 0.3 < waited < 5


def test_a_dead_holder_frees_the_gate(tmp_path):
    holder = _holder(tmp_path, 60)
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(5)
    started = time.monotonic()
    with WriteGate(tmp_path / "t.db").held():
        assert time.monotonic() - started < 5


def test_a_gate_held_too_long_is_passed_by(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """SQLite's busy timeout then decides, as it would without the gate."""
    monkeypatch.setattr(write_gate, "WAIT_S", 0.3)
    holder = _holder(tmp_path, 30)
    try:
        started = time.monotonic()
        with WriteGate(tmp_path / "t.db").held():
            assert 0.25 < time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.join(5)


def test_threads_of_one_process_take_turns(tmp_path):
    import threading

    gate, inside, most = WriteGate(tmp_path / "t.db"), [0], [0]

    def write() -> None:
        for _ in range(50):
            with gate.held():
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                time.sleep(0.0005)
                inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert most[0] == 1


def test_two_processes_writing_through_stores_lose_nothing(tmp_path):
    from sqlalchemy import text

    from tracker.store import Store

    url = f"sqlite:///{tmp_path / 'rows.db'}"
    store = Store(url)
    store.init()
    store.write(lambda s: s.execute(text("CREATE TABLE t (who INT, n INT)")))
    store.close()

    def writer(who: int) -> None:
        own = Store(url)
        for n in range(200):
            own.write(
                lambda s, n=n: s.execute(text("INSERT INTO t VALUES (:w, :n)"), {"w": who, "n": n})
            )
        own.close()

    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=writer, args=(who,)) for who in (1, 2)]
    for p in procs:
        p.start()
    assert wait_until(lambda: all(not p.is_alive() for p in procs), 60)
    assert [p.exitcode for p in procs] == [0, 0]
    store = Store(url)
    assert store.read(lambda s: s.execute(text("SELECT count(*) FROM t")).scalar()) == 400
    assert (tmp_path / "rows.db.write-lock").exists()
    store.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///{d}/t.db", "t.db"),
        ("sqlite:///file:{d}/t.db?mode=ro&uri=true", "t.db"),
        ("sqlite:///file:{d}/my%20archive.db?uri=true", "my archive.db"),
        ("sqlite:///file:mem1?mode=memory&uri=true", None),
        ("sqlite://", None),
    ],
)
def test_the_gate_sits_beside_the_database_file_whatever_form_its_url_takes(
    tmp_path, url, expected
):
    # Two processes naming one file in two forms must share one gate, and a URI must not
    # leave a stray "file:..." lock file behind.
    from tracker.store.database import Store

    path = Store(url.format(d=tmp_path)).sqlite_path
    assert path == (tmp_path / expected if expected else None)
