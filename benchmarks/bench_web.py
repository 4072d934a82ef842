"""Issue #6's figures: the web pages and the exports, measured in-process.

- server-side time of the diff page of a 10,000-word article with 20 versions (stored change,
  and two versions far apart, diffed live), and of its JSON twin;
- server-side time of the stories list at 10,000 stories (HTML and JSON, with filters);
- export throughput (versions/s) for JSONL, CSV and WARC, and peak memory (tracemalloc) at
  two database sizes, to show it stays flat.

Data is built straight through ``store.queries`` (add_story/add_version/add_change) with
reports from the real ``revision.analyze``; requests go through the ASGI app with
``TestClient`` (no network), so the times are the server's own.

Run alone: ``.venv/bin/python benchmarks/bench_web.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import Result, at_most, bench_main, log
from tracker import revision
from tracker.config import Settings
from tracker.export import ExportSpec, export
from tracker.records import Article
from tracker.service import Tracker
from tracker.store import queries as q

NAME = "web"
TARGET_MS = 200.0
T0 = datetime(2026, 11, 1, tzinfo=UTC)
WORDS = str.split(
    "the council said officials police fire storm river city minister report people "
    "government week after before during water homes roads emergency crews residents "
    "according statement spokesperson investigation evacuated hospital injured families "
    "schools power lines bridge north south east west county state national local"
)


# ---------------------------------------------------------------- data


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    words.insert(rng.randrange(1, n), f"{rng.randrange(2, 90_000):,}")
    return " ".join(words).capitalize() + "."


def article_paragraphs(rng: random.Random, words: int) -> list[list[str]]:
    """Paragraphs of sentences, about ``words`` words in all."""
    paras, total = [], 0
    while total < words:
        para = [_sentence(rng, rng.randrange(12, 24)) for _ in range(rng.randrange(3, 6))]
        total += sum(len(s.split()) for s in para)
        paras.append(para)
    return paras


def edit(rng: random.Random, paras: list[list[str]]) -> list[list[str]]:
    """A newsroom edit: a changed figure, an added sentence, a dropped one, a moved one."""
    paras = [list(p) for p in paras]
    i = rng.randrange(len(paras))
    j = rng.randrange(len(paras[i]))
    paras[i][j] = paras[i][j].replace(",", "", 1) + " (updated)"
    paras[rng.randrange(len(paras))].append(_sentence(rng, 15))
    k = rng.randrange(len(paras))
    if len(paras[k]) > 2:
        paras[k].pop(rng.randrange(len(paras[k])))
    a, b = rng.sample(range(len(paras)), 2)
    if len(paras[a]) > 2:
        paras[b].insert(0, paras[a].pop())
    return paras


def _article(title: str, paras: list[list[str]]) -> Article:
    return Article(
        title=title,
        byline="Jane Reporter",
        published="2026-11-01T06:00:00Z",
        modified=None,
        paragraphs=tuple(" ".join(p) for p in paras),
    )


def add_story_versions(
    session: Any, url: str, title: str, paras: list[list[str]], versions: int, seed: int
) -> int:
    """A story with ``versions`` versions, snapshots and changes, as the pipeline stores them."""
    rng = random.Random(seed)
    sid, _ = q.add_story(session, url, now=T0, interval_s=300, labels=["bench"])
    prev_id, prev_article = None, None
    for n in range(1, versions + 1):
        at = T0 + timedelta(hours=n)
        art = _article(title if n < versions // 2 else f"{title}: latest", paras)
        html = f"<html><head><title>{art.title}</title></head><body><article>"
        html += "".join(f"<p>{p}</p>" for p in art.paragraphs) + "</article></body></html>"
        snap, _ = q.store_snapshot(session, sid, html.encode())
        vid, _ = q.add_version(
            session,
            story_id=sid,
            article=art,
            content_sha256=hashlib.sha256(art.text.encode()).hexdigest(),
            now=at,
            snapshot_id=snap,
            final_url=url,
            status_code=200,
            headers={"content-type": "text/html; charset=utf-8"},
            fetched_at=at,
        )
        if prev_article is not None:
            report = revision.analyze(prev_article, art)
            q.add_change(
                session,
                story_id=sid,
                from_version_id=prev_id,
                to_version_id=vid,
                at=at,
                change_class=report.change_class,
                summary=report.summary,
                report=report.to_json(),
                revert_of=None,
            )
            q.update_story(session, sid, last_changed_at=at, last_change_class=report.change_class)
        q.update_story(session, sid, version_count=n, title=art.title)
        prev_id, prev_article = vid, art
        paras = edit(rng, paras)
    return sid


def add_many_stories(session: Any, n: int) -> None:
    rng = random.Random(7)
    labels = [f"desk-{i}" for i in range(20)]
    classes = ["cosmetic", "minor", "substantive", "major"]
    for i in range(n):
        sid, _ = q.add_story(
            session,
            f"https://news{i % 50}.example.org/2026/11/story-{i}",
            now=T0,
            interval_s=300,
            labels=rng.sample(labels, 2),
        )
        changed = T0 + timedelta(minutes=rng.randrange(60 * 24 * 30))
        q.update_story(
            session,
            sid,
            title=f"Story {i}: {_sentence(rng, 8)}",
            last_changed_at=changed if i % 5 else None,
            last_change_class=rng.choice(classes) if i % 5 else None,
            version_count=rng.randrange(1, 30),
        )


def add_export_stories(session: Any, stories: int, versions: int) -> None:
    for i in range(stories):
        paras = article_paragraphs(random.Random(i), 1_000)
        add_story_versions(session, f"https://example.org/e{i}", f"Story {i}", paras, versions, i)


def make_tracker(tmp: Path, name: str) -> Tracker:
    settings = Settings()
    settings.database.url = f"sqlite:///{tmp / name}.db"
    t = Tracker(settings)
    t.init()
    return t


# ---------------------------------------------------------------- measuring


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm: templates compiled, caches filled
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[min(len(times) - 1, int(len(times) * 0.95))],
        "max": times[-1],
    }


def get(client: Any, path: str) -> Callable[[], Any]:
    def call() -> Any:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return r

    return call


class Sink:
    """A write-only file that counts bytes (the export's output goes nowhere)."""

    def __init__(self) -> None:
        self.n = 0

    def write(self, data: bytes) -> int:
        self.n += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False

    def tell(self) -> int:
        return self.n


def bench_pages(res: Result, tmp: Path, quick: bool) -> None:
    from fastapi.testclient import TestClient

    from tracker.web import create_app

    repeat = 5 if quick else 20
    t = make_tracker(tmp, "pages")
    log("building a 10,000-word story with 20 versions")
    paras = article_paragraphs(random.Random(1), 10_000)
    sid = t.store.write(add_story_versions, "https://example.org/long", "Long story", paras, 20, 1)
    words = len(t.show("https://example.org/long", 20)[1].split())
    n_stories = 1_000 if quick else 10_000
    log(f"adding {n_stories:,} stories")
    t.store.write(add_many_stories, n_stories - 1)
    client = TestClient(create_app(t))
    cases = [
        ("diff_page_stored", f"/stories/{sid}/diff/19/20", "diff page, v19 -> v20 (stored)"),
        ("diff_page_side", f"/stories/{sid}/diff/19/20?layout=side", "diff page, side by side"),
        ("diff_page_live", f"/stories/{sid}/diff/1/20", "diff page, v1 -> v20 (live)"),
        ("diff_api", f"/api/stories/{sid}/diff?from=19&to=20", "diff JSON, v19 -> v20"),
        ("story_page", f"/stories/{sid}", "story page (20 versions, chart)"),
        ("stories_page", "/", f"stories page, {n_stories:,} stories, by last change"),
        ("stories_label", "/?label=desk-3", "stories page, label filter"),
        ("stories_search", "/?q=story-99", "stories page, search"),
        ("stories_page_200", "/?page=200", "stories page, page 200"),
        ("stories_api", "/api/stories", "GET /api/stories (50)"),
        ("stories_api_class", "/api/stories?class=major&limit=200", "GET /api/stories?class=major"),
    ]
    for key, path, label in cases:
        stats = timed(get(client, path), repeat)
        target = f"< {TARGET_MS:.0f} ms" if key.startswith(("diff_page", "stories_page")) else ""
        ok = at_most(stats["median"], TARGET_MS) if target else None
        res.add(key, label, stats["median"], "ms median", target, ok, f"p95 {stats['p95']:.0f}")
        res.details[key] = stats
        log(f"{label}: median {stats['median']:.1f} ms, p95 {stats['p95']:.1f} ms")
    res.details["diff_article_words"] = words
    res.details["stories"] = n_stories
    t.close()


def bench_export(res: Result, tmp: Path, quick: bool) -> None:
    # The export holds a batch of 500 versions at once, so both sizes start past 1,000:
    # below that the peak grows with the data until the batches are full.
    sizes = [(60, 20), (120, 20)] if quick else [(100, 20), (200, 20)]
    peaks = []
    for stories, versions in sizes:
        n = stories * versions
        t = make_tracker(tmp, f"export-{n}")
        log(f"building {stories} stories x {versions} versions (~1,000 words each)")
        t.store.write(add_export_stories, stories, versions)
        for fmt in ("jsonl", "csv", "warc"):
            spec = ExportSpec(fmt=fmt, what="versions")
            start = time.perf_counter()
            sink = Sink()
            count = export(t.store, spec, sink)  # type: ignore[arg-type]
            secs = time.perf_counter() - start
            tracemalloc.start()
            export(t.store, spec, Sink())  # type: ignore[arg-type]
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rate = count / secs
            key = f"export_{fmt}_{n}"
            res.add(
                key,
                f"export {fmt}, {n:,} versions",
                rate,
                "versions/s",
                "",
                None,
                f"peak {peak / 2**20:.1f} MiB, {sink.n / 2**20:.0f} MiB out",
            )
            res.details[key] = {
                "versions": count,
                "seconds": secs,
                "peak_bytes": peak,
                "bytes_out": sink.n,
            }
            peaks.append((fmt, n, peak))
            log(f"export {fmt} {n}: {rate:,.0f} versions/s, peak {peak / 2**20:.1f} MiB")
        t.close()
    small = {f: p for f, n, p in peaks if n == sizes[0][0] * sizes[0][1]}
    big = {f: p for f, n, p in peaks if n == sizes[1][0] * sizes[1][1]}
    for fmt in small:
        growth = big[fmt] / small[fmt]
        res.add(
            f"export_{fmt}_memory_growth",
            f"export {fmt}: peak at 2x data / 1x",
            growth,
            "ratio",
            "~1 (flat)",
            growth < 1.5,
        )


def run(quick: bool) -> Result:
    res = Result(NAME)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        bench_pages(res, Path(tmp), quick)
        bench_export(res, Path(tmp), quick)
    res.seconds = time.perf_counter() - started
    return res


def main() -> None:
    bench_main(__doc__ or NAME, run, "1,000 stories, smaller exports")


if __name__ == "__main__":
    sys.exit(main())
