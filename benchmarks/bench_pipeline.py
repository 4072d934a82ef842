"""Issue #2's figures, through the real tracker code against the local newsroom.

- the newsroom's own ceiling (so we know it is not the bottleneck);
- unchanged checks/s with validators (304) and without (200 + fresh noise), `check --all`
  semantics: ``Tracker.check(ids)`` after a first pass made version 1 of every story;
- changed versions/s with every page edited;
- ms per changed version end to end, by stage, against trafilatura alone on the same pages;
- stored bytes per additional version (one-sentence edit of a ~100 KB page);
- peak RSS of ``tracker check --all`` as a real subprocess (main process and children);
- extraction time and fallback rate over the real pages in shared/corpus (when present).

Run alone: ``.venv/bin/python benchmarks/bench_pipeline.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from common import (
    CORPUS,
    NewsroomProcess,
    Result,
    RssSampler,
    at_least,
    at_most,
    bench_main,
    bench_settings,
    log,
    sqlite_copy,
    summary,
    tracker_cmd,
    write_config,
)

NAME = "pipeline"


# ---------------------------------------------------------------- the newsroom alone


async def _httpx_loop(base: str, n: int, seconds: float, conc: int, etag: bool) -> float:
    done = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(base_url=base, limits=limits, trust_env=False) as client:

        async def worker(k: int) -> None:
            nonlocal done
            i = k
            while time.perf_counter() < stop:
                story = i % n
                headers = {"If-None-Match": f'"s{story}-r0"'} if etag else {}
                r = await client.get(f"/story/{story}", headers=headers)
                await r.aread()
                done += 1
                i += conc

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(conc)))
        return done / (time.perf_counter() - t0)


async def _raw_loop(port: int, n: int, seconds: float, conc: int) -> float:
    """A minimal keep-alive client: what the server alone can do, with little client cost."""
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(k: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while time.perf_counter() < stop:
            writer.write(f"GET /story/{i % n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            done += 1
            i += conc
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(conc)))
    return done / (time.perf_counter() - t0)


def serve_ceiling(room: NewsroomProcess, seconds: float) -> dict[str, float]:
    n = room.stories
    port = int(room.base.rsplit(":", 1)[1])
    room.configure(validators=True, noise=True)
    out = {
        "httpx_200_noise_rps": asyncio.run(_httpx_loop(room.base, n, seconds, 32, False)),
        "httpx_304_rps": asyncio.run(_httpx_loop(room.base, n, seconds, 32, True)),
        "raw_200_noise_rps": asyncio.run(_raw_loop(port, n, seconds, 32)),
    }
    room.reset()
    return out


async def _fetcher_cpu(room: NewsroomProcess, conditional: bool) -> float:
    """CPU ms per request of the tracker's own Fetcher (tracker.fetch), N requests, 32 at once:
    conditional GETs answered 304, or plain GETs of the ~97 KB pages."""
    from tracker.fetch import Fetcher, Validators

    settings = bench_settings("sqlite://").fetch
    urls = [room.url(i) for i in range(room.stories)]
    async with Fetcher(settings) as fetcher:
        first = await asyncio.gather(*(fetcher.fetch(u) for u in urls))  # validators, warm pool
        asked = [Validators(r.etag, r.last_modified) if conditional else None for r in first]
        cpu = time.process_time()
        await asyncio.gather(*(fetcher.fetch(u, v) for u, v in zip(urls, asked, strict=True)))
        return (time.process_time() - cpu) * 1000 / len(urls)


def fetcher_cost(res: Result, room: NewsroomProcess) -> None:
    room.configure(validators=True, noise=False)
    for conditional, label in ((True, "304"), (False, "200")):
        ms = statistics.median(asyncio.run(_fetcher_cpu(room, conditional)) for _ in range(3))
        res.add(
            f"fetch_cpu_ms_{label}",
            f"the Fetcher alone: CPU per request ({label})",
            ms,
            "ms",
            "",
            None,
            f"{room.stories} requests, 32 at once, median of 3 passes (aiohttp; httpx was "
            "1.3 ms for a 304 and 1.65 ms for a 200 on this machine)",
        )
    room.reset()


# ---------------------------------------------------------------- throughput


def _outcomes(results: list[Any]) -> dict[str, int]:
    return dict(Counter(o.outcome for o in results))


def timed_check(tracker: Any, ids: list[int]) -> tuple[float, dict[str, int]]:
    t0 = time.perf_counter()
    results = tracker.check(ids)
    return time.perf_counter() - t0, _outcomes(results)


def throughput(res: Result, room: NewsroomProcess, tracker: Any, ids: list[int], reps: int) -> None:
    from tracker.service import Tracker

    n = len(ids)
    room.configure(validators=True, noise=False)
    secs, out = timed_check(tracker, ids)
    log(f"first pass: {n} stories in {secs:.1f}s {out}")
    res.details["first_pass"] = {"seconds": secs, "per_s": n / secs, "outcomes": out}

    runs = []
    for _ in range(reps):
        secs, out = timed_check(tracker, ids)
        runs.append(n / secs)
        log(f"unchanged 304: {n / secs:.0f}/s {out}")
    res.details["unchanged_304"] = {"runs_per_s": runs, "outcomes": out}
    best = statistics.median(runs)
    res.add(
        "unchanged_304_per_s",
        "unchanged checks/s, validators (304)",
        best,
        "checks/s",
        ">= 600",
        at_least(best, 600),
        f"N={n}, median of {reps}",
    )

    sweep = {}
    for conc in (4, 8, 16, 64):
        other = Tracker(bench_settings(tracker.settings.database.url, concurrency=conc))
        secs, out = timed_check(other, ids)
        other.close()
        sweep[conc] = n / secs
    sweep[32] = best
    res.details["unchanged_304_by_concurrency"] = dict(sorted(sweep.items()))
    log(f"304 by fetch concurrency: { {k: round(v) for k, v in sorted(sweep.items())} }")
    top = max(sweep, key=sweep.__getitem__)
    res.add(
        "unchanged_304_best_concurrency",
        "  same, best fetch concurrency (diagnostic)",
        sweep[top],
        "checks/s",
        "",
        None,
        f"at concurrency {top}; " + ", ".join(f"{k}: {v:.0f}" for k, v in sorted(sweep.items())),
    )

    room.configure(validators=False, noise=True)
    secs, out = timed_check(tracker, ids)  # warm: raw hashes move to the noisy pages
    log(f"noise warm-up: {n / secs:.0f}/s {out}")
    runs = []
    for _ in range(reps):
        secs, out = timed_check(tracker, ids)
        runs.append(n / secs)
        log(f"unchanged 200+noise: {n / secs:.0f}/s {out}")
    res.details["unchanged_200_noise"] = {"runs_per_s": runs, "outcomes": out}
    best = statistics.median(runs)
    res.add(
        "unchanged_200_per_s",
        "unchanged checks/s, no validators (200 + noise)",
        best,
        "checks/s",
        ">= 300",
        at_least(best, 300),
        f"N={n}, median of {reps}; every body differs, fingerprint decides",
    )

    runs = []
    for _ in range(reps):
        room.edit_all()
        secs, out = timed_check(tracker, ids)
        changed = out.get("new_version", 0)
        runs.append(changed / secs)
        log(f"changed: {changed / secs:.1f} versions/s {out}")
    res.details["changed"] = {"runs_per_s": runs, "outcomes": out}
    best = statistics.median(runs)
    res.add(
        "changed_per_s",
        "changed versions/s, every page edited",
        best,
        "versions/s",
        ">= 40",
        at_least(best, 40),
        f"N={n}, median of {reps}",
    )


# ---------------------------------------------------------------- stages of one check


class StageTimer:
    """Wraps the stage functions of one in-process check and records their times (ms)."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.last_html: list[tuple[bytes, str | None]] = []

    def record(self, name: str, ms: float) -> None:
        self.times.setdefault(name, []).append(ms)

    def wrap(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.record(name, (time.perf_counter() - t0) * 1000)

        return timed

    def wrap_async(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.record(name, (time.perf_counter() - t0) * 1000)

        return timed


# (module path, attribute, stage): patched where present, so a refactor that renames one
# stage loses that row rather than the benchmark.
STAGES = (
    ("tracker.check.runner", "fingerprint_and_extract", "process_page"),
    ("tracker.extract", "fingerprint", "fingerprint"),
    ("tracker.extract", "extract_from_html", "extract"),
    ("tracker.check.runner:revision", "compare", "analyze"),
    ("tracker.check.runner:CheckRunner", "_record_batch", "write_batch"),
    ("tracker.fetch:Fetcher", "fetch", "fetch"),
)


def _target(path: str) -> Any:
    import importlib

    module, _, attr = path.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


@contextmanager
def stage_timers() -> Iterator[StageTimer]:
    """Wrap the stage functions of in-process checks (this process only; restored after)."""
    import inspect

    st = StageTimer()
    originals = []
    for path, name, stage in STAGES:
        obj = _target(path)
        fn = getattr(obj, name, None)
        if fn is None:
            continue
        originals.append((obj, name, fn))
        if stage == "process_page":
            fn = _capturing(fn, st)
        wrapped = (
            st.wrap_async(fn, stage) if inspect.iscoroutinefunction(fn) else st.wrap(fn, stage)
        )
        setattr(obj, name, wrapped)
    try:
        yield st
    finally:
        for obj, name, fn in reversed(originals):
            setattr(obj, name, fn)


def _capturing(fn: Callable[..., Any], st: StageTimer) -> Callable[..., Any]:
    def process_page(body: bytes, charset: str | None, *rest: Any) -> Any:
        st.last_html.append((body, charset))
        return fn(body, charset, *rest)

    return process_page


def trafilatura_ms(html: str, reps: int = 3) -> float:
    import trafilatura

    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        trafilatura.bare_extraction(html, favor_precision=True, with_metadata=True)
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best


def stages(res: Result, room: NewsroomProcess, tracker: Any, ids: list[int], k: int) -> None:
    """Sequential single-story checks of edited pages, in-process (no pool), timed by stage."""
    from tracker.extract import decode_html

    room.configure(validators=False, noise=True)
    sample = ids[:k]
    totals: list[float] = []
    traf: list[float] = []
    with stage_timers() as st:
        for sid in sample:
            room.edit(sid - 1)  # newsroom story i is tracker id i+1 (added in order)
            t0 = time.perf_counter()
            out = tracker.check([sid])
            totals.append((time.perf_counter() - t0) * 1000)
            assert out[0].outcome == "new_version", out[0]
    for body, charset in st.last_html:
        traf.append(trafilatura_ms(decode_html(body, charset)))
    times = st.times
    t = {name: summary(v) for name, v in times.items()}
    t["check_total"] = summary(totals)
    t["trafilatura_alone"] = summary(traf)
    if "write_batch" in times and "analyze" in times:
        write = [w - a for w, a in zip(times["write_batch"], times["analyze"], strict=True)]
        t["store_write"] = summary(write)
    # The work of one check without the per-invocation cost of `Tracker.check` (event loop,
    # lease transactions, a new HTTP client): fetch + fingerprint/extract + compare/store.
    parts = [times.get(k, [0.0] * len(totals)) for k in ("fetch", "process_page", "write_batch")]
    work = [sum(x) for x in zip(*parts, strict=True)]
    t["stage_sum"] = summary(work)
    t["fixed_overhead"] = summary(tot - w for tot, w in zip(totals, work, strict=True))
    res.details["stages_ms"] = t
    med_total, med_work = t["check_total"]["median"], t["stage_sum"]["median"]
    med_traf = t["trafilatura_alone"]["median"]
    extract = times.get("extract", [])
    share = statistics.median(e / tot for e, tot in zip(extract, totals, strict=True))
    ratio = med_total / med_traf if med_total and med_traf else None
    ratio_work = med_work / med_traf if med_work and med_traf else None
    res.add(
        "ms_per_version_median",
        "ms per changed version, end to end (median)",
        med_total,
        "ms",
        "",
        None,
        f"single-story `Tracker.check([id])`, in-process, no pool, n={len(totals)}",
    )
    res.add(
        "ms_per_version_p95",
        "ms per changed version, end to end (p95)",
        t["check_total"]["p95"],
        "ms",
    )
    res.add(
        "ratio_to_trafilatura",
        "median end-to-end / trafilatura alone",
        ratio,
        "x",
        "< 1.3",
        None if ratio is None else ratio < 1.3,
        f"trafilatura alone median {med_traf:.1f} ms on the same pages",
    )
    res.add(
        "ratio_stages_to_trafilatura",
        "  stages only (fetch+extract+diff+store) / trafilatura",
        ratio_work,
        "x",
        "< 1.3",
        None if ratio_work is None else ratio_work < 1.3,
        f"stage sum median {med_work:.1f} ms; per-call overhead "
        f"{t['fixed_overhead']['median']:.1f} ms",
    )
    res.add("extraction_share", "share of a check that is extraction", share * 100, "%")
    for name in ("fetch", "fingerprint", "extract", "analyze", "store_write", "fixed_overhead"):
        if name in t:
            res.add(f"stage_{name}_ms", f"  stage: {name} (median)", t[name]["median"], "ms")


# ---------------------------------------------------------------- storage


def storage(res: Result, room: NewsroomProcess, tmp: Path, versions: int) -> None:
    from tracker.service import Tracker

    path = tmp / "storage.db"
    t = Tracker(bench_settings(f"sqlite:///{path}"))
    t.init()
    room.configure(validators=False, noise=True)
    story = room.stories - 1
    (added,) = t.add([room.url(story)])
    assert t.check([added.story_id])[0].outcome == "first_version"
    t.close()
    size0 = _vacuum(path)
    tables0 = _table_bytes(path)
    t = Tracker(bench_settings(f"sqlite:///{path}"))
    for _ in range(versions):
        room.edit(story)
        out = t.check([added.story_id])
        assert out[0].outcome == "new_version", out[0]
    t.close()
    size1 = _vacuum(path)
    tables1 = _table_bytes(path)
    with sqlite3.connect(path) as db:
        snap = db.execute(
            "SELECT codec, length(data), size FROM snapshot WHERE id IN "
            "(SELECT snapshot_id FROM version WHERE number > 1)"
        ).fetchall()
        text = db.execute("SELECT length(text_data) FROM version WHERE number > 1").fetchall()
        reports = db.execute("SELECT length(report) FROM change").fetchall()
    db.close()
    snap_bytes = sum(r[1] for r in snap)
    text_bytes = sum(r[0] for r in text)
    report_bytes = sum(r[0] for r in reports)
    per = (snap_bytes + text_bytes + report_bytes) / versions
    by_codec: dict[str, list[int]] = {}
    for codec, n, _ in snap:
        by_codec.setdefault(codec, []).append(n)
    res.details["storage"] = {
        "versions": versions,
        "page_bytes": snap[0][2] if snap else None,
        "snapshot_bytes": snap_bytes,
        "text_bytes": text_bytes,
        "report_bytes": report_bytes,
        "snapshot_by_codec": {k: summary(v) for k, v in by_codec.items()},
        "file_bytes_before": size0,
        "file_bytes_after": size1,
        "file_growth_by_table_per_version": {
            k: round((tables1.get(k, 0) - tables0.get(k, 0)) / versions)
            for k in sorted(set(tables0) | set(tables1))
            if tables1.get(k, 0) != tables0.get(k, 0)
        },
    }
    res.add(
        "bytes_per_version",
        "stored bytes per added version (snapshot+text+report)",
        per,
        "bytes",
        "< 2,048",
        per < 2048,
        f"{versions} one-number edits of a ~{snap[0][2] // 1000 if snap else '?'} KB page, "
        "keyframes included",
    )
    file_per = (size1 - size0) / versions
    res.add(
        "file_bytes_per_version",
        "SQLite file growth per version (after VACUUM)",
        file_per,
        "bytes",
        "< 2,048",
        file_per < 2048,
        "includes check rows, indexes and page slack",
    )


def _table_bytes(path: Path) -> dict[str, int]:
    """Bytes per table and index (SQLite's dbstat), or {} when it is not compiled in."""
    try:
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        db.close()
    except sqlite3.Error:
        return {}
    return {name: int(size) for name, size in rows}


def _vacuum(path: Path) -> int:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    db.close()
    return path.stat().st_size


# ---------------------------------------------------------------- RSS of `tracker check --all`


def rss(res: Result, room: NewsroomProcess, db: Path, tmp: Path) -> None:
    copy = tmp / "rss.db"
    sqlite_copy(db, copy)
    cfg = write_config(tmp / "rss.toml", f"sqlite:///{copy}")
    room.configure(validators=False, noise=True)
    for scenario in ("unchanged", "changed"):
        if scenario == "changed":
            room.edit_all()
        cmd = tracker_cmd(cfg, "check", "--all", "--quiet")
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sampler = RssSampler(proc.pid).start()
        _, err = proc.communicate()
        peaks = sampler.stop()
        secs = time.perf_counter() - t0
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"tracker check failed: {err.decode()[-2000:]}")
        res.details[f"rss_{scenario}"] = {**peaks.to_json(), "seconds": secs}
        log(
            f"rss {scenario}: main {peaks.main_mb:.0f} MB, children {peaks.children_sum_mb:.0f} MB"
            f" RSS ({peaks.children_count} procs), {room.stories / secs:.0f} stories/s"
        )
        res.add(
            f"rss_main_{scenario}_mb",
            f"peak RSS, `tracker check --all` main process ({scenario})",
            peaks.main_mb,
            "MB",
            "< 120",
            at_most(peaks.main_mb, 120),
            f"N={room.stories}",
        )
        pss = peaks.children_pss_sum_mb
        res.add(
            f"rss_children_{scenario}_mb",
            f"  children together: RSS sum (PSS sum) ({scenario})",
            peaks.children_sum_mb,
            "MB",
            "",
            None,
            f"{peaks.children_count} processes (extraction workers); PSS {pss:.0f} MB"
            if pss
            else f"{peaks.children_count} processes",
        )
        res.add(
            f"cli_{scenario}_per_s",
            f"  `tracker check --all` wall rate ({scenario})",
            room.stories / secs,
            "stories/s",
            "",
            None,
            "includes interpreter start, imports and the pool start",
        )


# ---------------------------------------------------------------- the real corpus


def corpus(res: Result, reps: int) -> None:
    pages_dir = CORPUS / "pages"
    files = sorted(p for p in pages_dir.glob("*.html") if re.fullmatch(r"\d+\.html", p.name))
    if not files:
        res.details["corpus"] = {"skipped": f"no pages in {pages_dir}"}
        log("corpus absent: skipped")
        return
    from tracker.extract import ExtractOptions, decode_html, extract_article

    opts = ExtractOptions()
    times, traf, extractors = [], [], Counter()
    sizes = []
    for path in files:
        body = path.read_bytes()
        sizes.append(len(body))
        best = float("inf")
        art = None
        for _ in range(reps):
            t0 = time.perf_counter()
            art = extract_article(body, None, f"https://news.example/{path.stem}", opts)
            best = min(best, (time.perf_counter() - t0) * 1000)
        times.append(best)
        traf.append(trafilatura_ms(decode_html(body, None), reps))
        assert art is not None
        extractors[art.extractor] += 1
    t, tr = summary(times), summary(traf)
    fallback = 1 - extractors["trafilatura"] / len(files)
    res.details["corpus"] = {
        "pages": len(files),
        "page_kb": summary(s / 1000 for s in sizes),
        "extract_ms": t,
        "trafilatura_alone_ms": tr,
        "extractors": dict(extractors),
    }
    res.add(
        "corpus_extract_median_ms",
        "corpus: extract_article median",
        t["median"],
        "ms",
        "",
        None,
        f"{len(files)} real pages; trafilatura alone median {tr['median']:.1f} ms",
    )
    res.add("corpus_extract_p95_ms", "corpus: extract_article p95", t["p95"], "ms")
    res.add(
        "corpus_fallback_rate",
        "corpus: fallback rate (extractor != trafilatura)",
        fallback * 100,
        "%",
        "",
        None,
        ", ".join(f"{k} {v}" for k, v in extractors.most_common()),
    )


# ---------------------------------------------------------------- main


def run(quick: bool = False) -> Result:
    from tracker.service import Tracker

    res = Result(NAME)
    started = time.perf_counter()
    n = 100 if quick else 1000
    reps = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as d, NewsroomProcess(n) as room:
        tmp = Path(d)
        log(f"newsroom with {n} stories at {room.base}")
        ceiling = serve_ceiling(room, 1.0 if quick else 4.0)
        res.details["newsroom_ceiling"] = ceiling
        log(f"newsroom ceiling: {ceiling}")
        res.add(
            "newsroom_ceiling_rps",
            "newsroom alone, ~97 KB pages (raw client)",
            ceiling["raw_200_noise_rps"],
            "req/s",
            "",
            None,
            f"httpx client: {ceiling['httpx_200_noise_rps']:.0f} (200), "
            f"{ceiling['httpx_304_rps']:.0f} (304) req/s, 32 connections",
        )
        fetcher_cost(res, room)
        db = tmp / "tracker.db"
        tracker = Tracker(bench_settings(f"sqlite:///{db}"))
        tracker.init()
        t0 = time.perf_counter()
        ids = [a.story_id for a in tracker.add([room.url(i) for i in range(n)])]
        res.details["add_seconds"] = time.perf_counter() - t0
        assert ids == list(range(1, n + 1)), "story ids are expected to follow the page numbers"
        throughput(res, room, tracker, ids, reps)
        stages(res, room, tracker, ids, 10 if quick else 60)
        tracker.close()
        storage(res, room, tmp, 10 if quick else 50)
        rss(res, room, db, tmp)
        res.details["newsroom_stats"] = {k: v for k, v in room.stats().items() if k != "requests"}
    corpus(res, 1 if quick else 3)
    res.seconds = time.perf_counter() - started
    return res


def main() -> None:
    bench_main(__doc__ or NAME, run, "100 stories, one repetition")


if __name__ == "__main__":
    sys.exit(main())
