"""The desk's cost on the paths that run without anyone at the desk: routing a change to
people's destinations (one query per change, in the check) and listing their destinations
(one query per outbox pass); and the cost of a login (argon2id).

Paired and interleaved (A, B, A, B...) so other load on the machine hits both alike:
A = no desk users; B = N people, each with a destination, a subscription and three follows.

    .venv/bin/python benchmarks/bench_desk.py [--people 200] [--reps 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import tempfile
import time
from pathlib import Path

from tracker.config import load_settings
from tracker.desk import accounts, passwords
from tracker.notify.people import desk_channels, desk_targets
from tracker.service import Tracker
from tracker.store import desk as dk
from tracker.store import queries as q

REPORT = {"facts": {"headline": ["a", "b"]}, "sentences": []}


def _tracker(path: Path, people: int) -> tuple[Tracker, int]:
    settings = load_settings(None)
    settings.database.url = f"sqlite:///{path}"
    t = Tracker(settings)
    t.init()
    now = t.clock()
    urls = [f"https://news.example/{i}" for i in range(50)]
    ids = [
        sid
        for sid, _ in t.store.write(
            q.add_stories, urls, now=now, interval_s=600, set_interval=True, labels=("world",)
        )
    ]
    for i in range(people):
        user = t.store.write(dk_add_user, f"p{i}", now)
        for sid in ids[i % 10 : i % 10 + 2]:
            t.store.write(dk.follow, user, "story", str(sid), now)
        t.store.write(dk.follow, user, "label", "world", now)
        d = t.store.write(
            dk.add_destination, user, name="m", kind="webhook", url="https://h.example/", now=now
        )
        t.store.write(dk.subscribe, user, d.id, dk.Rules(min_class="minor"), now)
    return t, ids[0]


def dk_add_user(session, name, now):  # type: ignore[no-untyped-def]
    from tracker.store import people

    return people.add_user(
        session, name, role="viewer", display_name="", timezone="UTC", now=now
    ).id


def _per_call(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=200)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a, sid_a = _tracker(Path(tmp) / "a.db", 0)
        b, sid_b = _tracker(Path(tmp) / "b.db", args.people)
        route = {"a": [], "b": []}
        chans = {"a": [], "b": []}
        for _ in range(args.reps):  # interleaved
            for key, t, sid in (("a", a, sid_a), ("b", b, sid_b)):
                call = functools.partial(
                    desk_targets,
                    t.store,
                    sid,
                    change_class="major",
                    report=REPORT,
                    labels=("world",),
                    revert=False,
                )
                route[key].append(_per_call(call, 20))
                chans[key].append(_per_call(lambda t=t: desk_channels(t.store), 20))
        assert (
            len(
                desk_targets(
                    b.store,
                    sid_b,
                    change_class="major",
                    report=REPORT,
                    labels=("world",),
                    revert=False,
                )
            )
            == args.people
        )
        store = a.store
        accounts.add_user(store, "bench", "viewer", now=a.clock(), password="a long password")
        logins = [
            _per_call(
                lambda: passwords.verify(
                    store.read(accounts.pp.credentials, "bench").password_hash, "a long password"
                ),
                1,
            )
            for _ in range(args.reps)
        ]  # type: ignore[union-attr]
        a.close()
        b.close()
    result = {
        "people": args.people,
        "route_ms_per_change": {k: statistics.median(v) for k, v in route.items()},
        "desk_channels_ms_per_pass": {k: statistics.median(v) for k, v in chans.items()},
        "login_verify_ms": {
            "median": statistics.median(logins),
            "min": min(logins),
            "max": max(logins),
        },
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
