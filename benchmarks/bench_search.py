"""The researcher's search (issue 13): query speed, index bytes per version, reindex speed.

Builds a synthetic archive straight through the store (``record_checks``, the write path a
check uses, so the sentence index is written as it is in production): ``--stories`` stories
of ``--versions`` versions, each version a one-sentence edit of the last (and now and then a
sentence added). Words are drawn from a Zipf-like vocabulary so queries range from very
common to rare words. Then, on each backend:

- **query**: a fixed set of queries (common, mid, rare words; a phrase; a prefix; OR; an
  exclusion; ``--removed``), interleaved, ``--repeat`` rounds; the medians, with and
  without the total count (the CLI skips it, the API pages with it);
- **bytes per version**: ``--edits`` more versions, each a one-sentence edit, and the growth
  of the index's tables and indexes (SQLite: ``dbstat`` page sizes; PostgreSQL:
  ``pg_total_relation_size``) divided by the versions;
- **reindex**: ``reindex_story(rebuild=True)`` over ``--reindex`` stories, versions per second.

    PYTHONPATH=src:benchmarks python benchmarks/bench_search.py --stories 10000 --backend both
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from common import fresh_pg_database, machine, postgres
from tracker.records import Article
from tracker.searchquery import parse
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.checks import (
    CheckRecord,
    CheckRow,
    NewVersion,
    StoryUpdate,
    record_checks,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SYLLABLES = ("ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da")
SYLLABLES += ("zu", "fe", "gi", "ho", "ja", "ku", "le", "ma", "no", "pe")


def vocabulary(n: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words, key=lambda w: (len(w), w))


class Writer:
    """Sentences with Zipf-distributed words; articles that change one sentence at a time."""

    def __init__(self, seed: int = 13, words: int = 20_000) -> None:
        self.rng = random.Random(seed)
        self.vocab = vocabulary(words, self.rng)
        weights = [1 / (rank + 1) for rank in range(len(self.vocab))]
        self.cum = list(_accumulate(weights))

    def sentence(self) -> str:
        picked = self.rng.choices(self.vocab, cum_weights=self.cum, k=self.rng.randint(10, 20))
        return " ".join(picked).capitalize() + "."

    def article(self) -> list[str]:
        return [self.sentence() for _ in range(15)]

    def edit(self, sentences: list[str]) -> list[str]:
        out = list(sentences)
        out[self.rng.randrange(len(out))] = self.sentence()
        if self.rng.random() < 0.3:
            out.insert(self.rng.randrange(len(out) + 1), self.sentence())
        return out


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def as_article(title: str, sentences: list[str]) -> Article:
    paragraphs = tuple(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))
    return Article(title, "", None, None, paragraphs)


def record(story_id: int, at: datetime, art: Article) -> CheckRecord:
    sha = hashlib.sha256(art.text.encode()).hexdigest()
    return CheckRecord(
        story_id=story_id,
        at=at,
        check=CheckRow(outcome="new_version", worker="bench"),
        story=StoryUpdate(
            checked_at=at,
            state="developing",
            interval_s=600,
            next_check_at=at,
            consecutive_failures=0,
        ),
        version=NewVersion(art, sha, None, None, 200, None, at),
    )


def build(store: Store, w: Writer, stories: int, versions: int) -> dict[str, float]:
    """The archive, story by story; the last sentences of each story kept for later edits."""
    started = time.perf_counter()
    batch: list[CheckRecord] = []
    w.latest = {}  # type: ignore[attr-defined]
    for i in range(stories):
        url = f"https://news.example/story/{i}"
        sid = store.write(q.add_story, url, now=T0, interval_s=600, labels=(f"l{i % 20}",))[0]
        sentences = w.article()
        for n in range(versions):
            if n:
                sentences = w.edit(sentences)
            at = T0 + timedelta(minutes=i + n * 7)
            batch.append(record(sid, at, as_article(f"Story {i} {w.sentence()}", sentences)))
        w.latest[sid] = sentences  # type: ignore[attr-defined]
        if len(batch) >= 200:
            store.write(record_checks, batch)
            batch = []
        if i and i % 1000 == 0:
            print(f"  {i} stories, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if batch:
        store.write(record_checks, batch)
    secs = time.perf_counter() - started
    return {"build_s": secs, "versions_per_s": stories * versions / secs}


def queries(w: Writer) -> dict[str, str]:
    v = w.vocab
    stored = next(iter(w.latest.values()))[0]  # type: ignore[attr-defined]
    phrase = stored.rstrip(".").split()[3:5]
    return {
        "common word": v[5],
        "mid word": v[300],
        "rare word": v[8000],
        "two mid words": f"{v[40]} {v[60]}",
        "phrase": '"' + " ".join(phrase) + '"',
        "prefix": v[150][:4] + "*",
        "OR of rare": f"{v[9000]} OR {v[9100]} OR {v[9200]}",
        "exclusion": f"{v[300]} -{v[5]}",
        "removed only": f"--removed {v[300]}",
    }


def time_queries(store: Store, w: Writer, repeat: int) -> dict[str, object]:
    per: dict[str, list[float]] = {}
    counted: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    for _ in range(repeat):
        for name, text_ in queries(w).items():  # interleaved: the load hits all alike
            removed = text_.startswith("--removed ")
            parsed = parse(text_.removeprefix("--removed "))
            f = q.SearchFilter(present=False if removed else None)
            t = time.perf_counter()
            store.read(q.search, parsed, f, limit=50, with_total=False)
            per.setdefault(name, []).append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            found = store.read(q.search, parsed, f, limit=50)
            counted.setdefault(name, []).append((time.perf_counter() - t) * 1000)
            hits[name] = found.total
    medians = {k: statistics.median(v) for k, v in per.items()}
    with_total = {k: statistics.median(v) for k, v in counted.items()}
    return {
        "median_ms": statistics.median(medians.values()),
        "median_with_total_ms": statistics.median(with_total.values()),
        "per_query_ms": {k: round(v, 1) for k, v in medians.items()},
        "per_query_with_total_ms": {k: round(v, 1) for k, v in with_total.items()},
        "matches": hits,
    }


def index_bytes(session: Session) -> int:
    if session.get_bind().dialect.name == "sqlite":
        names = "('sentence', 'sentence_progress', 'sqlite_autoindex_sentence_1', " \
            "'sentence_fts_data', 'sentence_fts_idx', 'sentence_fts_config')"  # fmt: skip
        return int(session.scalar(text(f"SELECT sum(pgsize) FROM dbstat WHERE name IN {names}")))
    total = "pg_total_relation_size('sentence') + pg_total_relation_size('sentence_progress')"
    return int(session.scalar(text(f"SELECT {total}")))


def bytes_per_edit(store: Store, w: Writer, edits: int) -> dict[str, float]:
    latest: dict[int, list[str]] = w.latest  # type: ignore[attr-defined]
    ids = list(latest)[:edits]
    before = store.read(index_bytes)
    at = T0 + timedelta(days=400)
    batch = []
    for sid in ids:
        edited = list(latest[sid])
        edited[w.rng.randrange(len(edited))] = w.sentence()  # exactly one sentence changes
        numbers = store.read(q.versions, sid)
        title = numbers[-1].title
        batch.append(record(sid, at, as_article(title, edited)))
    for i in range(0, len(batch), 200):
        store.write(record_checks, batch[i : i + 200])
    after = store.read(index_bytes)
    return {"edits": len(ids), "index_bytes_per_version": (after - before) / len(ids)}


def reindex_speed(store: Store, stories: int) -> dict[str, float]:
    ids = list(range(1, stories + 1))
    t = time.perf_counter()
    done = sum(store.write(q.reindex_story, sid, rebuild=True) for sid in ids)
    secs = time.perf_counter() - t
    return {"stories": stories, "versions": done, "versions_per_s": done / secs}


def counts(session: Session) -> dict[str, int]:
    one = session.scalar
    return {
        "stories": int(one(text("SELECT count(*) FROM story"))),
        "versions": int(one(text("SELECT count(*) FROM version"))),
        "sentence_rows": int(one(text("SELECT count(*) FROM sentence"))),
    }


def run(url: str, args: argparse.Namespace) -> dict[str, object]:
    store = Store(url)
    store.init()
    w = Writer()
    out: dict[str, object] = {"build": build(store, w, args.stories, args.versions)}
    out["size"] = store.read(counts)
    out["size"]["sentence_occurrences"] = args.stories * args.versions * 17  # type: ignore[index]
    out["query"] = time_queries(store, w, args.repeat)
    out["bytes"] = bytes_per_edit(store, w, args.edits)
    out["reindex"] = reindex_speed(store, args.reindex)
    store.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--stories", type=int, default=10_000)
    p.add_argument("--versions", type=int, default=10)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--edits", type=int, default=500)
    p.add_argument("--reindex", type=int, default=500)
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = p.parse_args()
    results: dict[str, object] = {"machine": machine(), "args": vars(args)}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            print("sqlite ...", file=sys.stderr)
            results["sqlite"] = run(f"sqlite:///{tmp}/search.db", args)
    if args.backend in ("postgresql", "both"):
        with postgres() as admin:
            if admin is None:
                results["postgresql"] = {"skipped": "no PostgreSQL server"}
            else:
                print("postgresql ...", file=sys.stderr)
                results["postgresql"] = run(fresh_pg_database(admin, "bench_search"), args)
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
