"""`tracker check --all` on many stories runs in worker processes: same results, nothing lost."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import sessions
from tests.servers import article_html
from tracker.check import parallel, shards
from tracker.store.models import Check, Story, Version

PARAS = [
    "The bridge will stay closed until Friday while engineers inspect 14 cracked beams.",
    "Drivers are advised to use the ring road, police said on Wednesday morning.",
]


def test_bulk_check_in_worker_processes(tracker, server, monkeypatch):
    monkeypatch.setattr(parallel, "SHARD_MIN", 5)
    monkeypatch.setattr(shards, "CHUNK", 4)
    tracker.settings.extract.processes = 2
    urls = [server.page(f"/b{i}", article_html(f"B{i}", PARAS)) for i in range(11)]
    urls.append(server.url("/missing"))
    ids = [a.story_id for a in tracker.add(urls)]
    seen = []
    outcomes = tracker.check(ids, on_done=seen.append)
    assert len(outcomes) == len(seen) == 12
    assert sorted(o.outcome for o in outcomes) == ["failed"] + ["first_version"] * 11
    with sessions(tracker)() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 11
        assert session.scalar(select(func.count()).select_from(Check)) == 12
        assert (
            session.scalar(
                select(func.count()).select_from(Story).where(Story.lease_owner.is_not(None))
            )
            == 0
        )
    server.page("/b3", article_html("B3", [*PARAS, "Update: the bridge reopened at noon."]))
    again = {o.url: o for o in tracker.check(ids)}
    assert again[urls[3]].outcome == "new_version" and again[urls[3]].version == 2
    assert sum(o.outcome == "unchanged" for o in again.values()) == 10


def test_chunks_are_about_four_a_worker_within_bounds():
    assert shards.chunk_size(1000, 2) == 125  # 8 chunks: 4 a worker
    assert shards.chunk_size(100, 2) == shards.CHUNK  # never smaller than CHUNK
    assert shards.chunk_size(50_000, 2) == shards.MAX_CHUNK  # nor larger than MAX_CHUNK
    assert shards.chunk_size(1001, 2) == 126  # rounded up: no chunk of one story left over
