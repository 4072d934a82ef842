"""With an extraction pool, a new text is compared with the newest version in the worker that
extracted it (``CheckRunner._compare_in_pool``), and keyed for the sentence index there
(``workers.extract_for_check``): the daemon's main process, which decides and writes every
version, is spared both. The changes and the index written must be the ones an in-process
check writes, and a report made against a version that is no longer the newest must not be
used.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from tests.servers import LocalServer, Route, article_html
from tracker.check import runner as runner_module
from tracker.config import Settings
from tracker.service import Tracker
from tracker.store import history as history_module
from tracker.store import queries as q
from tracker.store import sentences as sentences_module
from tracker.store.models import Sentence, Snapshot
from tracker.store.snapshots import sha256_hex

FIRST = [
    (
        "Flood waters rise in the valley",
        [
            "Flood waters rose to 3.2 metres on Monday, officials said.",
            "About 1,200 residents were told to leave their homes before nightfall.",
            '"We are doing everything we can," the mayor said at a briefing.',
            "Roads into the town were closed and two schools were shut.",
        ],
    ),
    (
        "Talks resume after a week of strikes",
        [
            "Union leaders met the ministry on Tuesday for the first time in a week.",
            "The strike has cost the rail operator an estimated 40 million euros.",
            "Both sides said they hoped for an agreement before the weekend.",
        ],
    ),
]


def _edits() -> list[tuple[str, list[str]]]:
    (t1, p1), (t2, p2) = FIRST
    return [
        (t1, [p1[0].replace("3.2", "3.6"), *p1[1:]]),  # a number
        (t1 + " as rain continues", p1),  # the headline
        (t2, [*p2, "A spokesman said a deal was close."]),  # a sentence added
        (t2, [p2[0], '"This is not over," a union leader said.', *p2[1:]]),  # a quote added
        (t2, p2),  # unchanged
    ]


def _run(settings: Settings, server: LocalServer, tag: str) -> list[tuple[Any, ...]]:
    """Five stories checked twice (every page edited but one); their changes, story by story."""
    tracker = Tracker(settings)
    tracker.init()
    try:
        firsts = [FIRST[0], FIRST[0], FIRST[1], FIRST[1], FIRST[1]]
        paths = [f"/{tag}/{i}" for i in range(5)]
        for path, (title, paragraphs) in zip(paths, firsts, strict=True):
            server.routes[path] = Route(body=article_html(title, paragraphs).encode())
        ids = [a.story_id for a in tracker.add([server.url(p) for p in paths])]
        assert {o.outcome for o in tracker.check(ids)} == {"first_version"}
        for path, (title, paragraphs) in zip(paths, _edits(), strict=True):
            server.routes[path] = Route(body=article_html(title, paragraphs).encode())
        outcomes = {o.story_id: o.outcome for o in tracker.check(ids)}
        assert [outcomes[i] for i in ids] == ["new_version"] * 4 + ["unchanged"]
        rows: list[tuple[Any, ...]] = []
        for k, sid in enumerate(ids):
            for c in tracker.store.read(q.changes, story_id=sid):
                rows.append((c.from_version, c.to_version, c.change_class, c.summary, c.report))
            rows += [(k, *r) for r in tracker.store.read(_index_rows, sid)]
            for v in tracker.store.read(q.versions, sid):  # each snapshot decodes to its hash
                body, sha = tracker.store.read(q.snapshot_bytes, v.snapshot_id)
                assert sha256_hex(body) == sha == v.raw_sha256
            rows += [(k, "snapshot", *r) for r in tracker.store.read(_snapshot_rows, sid)]
        return rows
    finally:
        tracker.close()


def _index_rows(session: Any, story_id: int) -> list[tuple[Any, ...]]:
    """The story's sentence index: every sentence with its span of versions."""
    t = Sentence.__table__.c
    q = select(t.kind, t.hash, t.text, t.norm, t.first_version, t.removed_version)
    return [tuple(r) for r in session.execute(q.where(t.story_id == story_id).order_by(t.hash))]


def _snapshot_rows(session: Any, story_id: int) -> list[tuple[Any, ...]]:
    """The story's raw snapshots as stored: hash, size, codec, keyframe or delta, bytes."""
    t = Snapshot.__table__.c
    q = select(t.sha256, t.size, t.codec, t.base_id.is_(None), t.depth, t.data)
    return [tuple(r) for r in session.execute(q.where(t.story_id == story_id).order_by(t.id))]


@pytest.fixture
def pooled(settings: Settings) -> Settings:
    s = copy.deepcopy(settings)
    s.extract.processes = 2  # five stories: extraction (and comparison) in a pool of 2
    return s


def test_changes_compared_in_the_pool_equal_changes_compared_in_process(
    settings: Settings,
    pooled: Settings,
    sqlite_url: str,
    server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[Any] = []
    real = runner_module.CheckRunner._compare_in_pool

    async def counted(self: runner_module.CheckRunner, *args: Any) -> Any:
        out = await real(self, *args)
        made.append(out)
        return out

    keyed_in_pool: list[int] = []
    real_index = sentences_module.index_version

    def index_version(*args: Any, **kwargs: Any) -> bool:
        if kwargs.get("keyed") is not None:
            keyed_in_pool.append(1)
        return real_index(*args, **kwargs)

    keyframes: list[int] = []
    real_store = history_module.store_snapshot

    def store_snapshot(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("keyframe") is not None:
            keyframes.append(1)
        return real_store(*args, **kwargs)

    monkeypatch.setattr(runner_module.CheckRunner, "_compare_in_pool", counted)
    monkeypatch.setattr(sentences_module, "index_version", index_version)
    monkeypatch.setattr(history_module, "store_snapshot", store_snapshot)
    in_pool = _run(pooled, server, "pool")
    assert len(keyframes) == 5, "the first pages were compressed in a worker"
    keyframes.clear()
    assert len(keyed_in_pool) == 9, "5 first versions and 4 new ones were keyed in a worker"
    assert sum(r[1] == "snapshot" and r[5] for r in in_pool) == 5, "5 keyframes"
    assert sum(r[1] == "snapshot" and not r[5] for r in in_pool) == 4, "4 deltas"
    keyed_in_pool.clear()
    assert sum(m is not None for m in made) == 4, "the four new texts were compared in a worker"
    assert all(m is None or m[0] == 1 for m in made), "against version 1, the newest"

    made.clear()
    inline = copy.deepcopy(settings)
    inline.extract.processes = 1
    inline.database.url = sqlite_url.replace(".db", "-inline.db")
    in_process = _run(inline, server, "inline")
    assert made == [], "no pool: nothing was compared in a worker"
    # no pool: the writer keys each version as it decides it (the comparison's split is
    # fresh then), not in the index, a batch later
    assert len(keyed_in_pool) == 9, "no pool: every version keyed when it was decided"
    assert keyframes == [], "no pool: the writer compressed every page itself"
    assert sum(len(r) == 5 for r in in_pool) == 4, "four changes"
    assert sum(r[-2] == 2 for r in in_pool if len(r) == 7) >= 4, "sentences new in version 2"
    assert in_pool == in_process, "the same changes, sentence index and snapshots"


def test_a_report_against_an_older_version_is_not_used(
    pooled: Settings, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker compared with version N, but N is no longer the newest when the check is
    decided (another writer added a version): the check compares again, in-process."""
    real = runner_module.CheckRunner._compare_in_pool

    async def stale(self: runner_module.CheckRunner, *args: Any) -> Any:
        out = await real(self, *args)
        return None if out is None else (out[0] + 7, out[1])  # as if made against another

    compared_here: list[int] = []
    from tracker import revision

    real_compare = revision.compare

    def counting(*args: Any, **kwargs: Any) -> Any:
        compared_here.append(1)
        return real_compare(*args, **kwargs)

    monkeypatch.setattr(runner_module.CheckRunner, "_compare_in_pool", stale)
    monkeypatch.setattr(revision, "compare", counting)
    rows = _run(pooled, server, "stale")
    assert len(compared_here) == 4, "each new text was compared again in the main process"
    assert [r[:2] for r in rows if len(r) == 5] == [(1, 2)] * 4
