"""Rendering pages built by JavaScript (issue 15): what it costs, and what auto costs when
no page needs it.

- Rendered checks per second and peak memory at ``render_concurrency`` 1, 2 and 4: a pass of
  ``--stories`` pages whose article a script builds from a JSON endpoint (``--render
  always``), after one warm-up check that starts the browser. Runs interleaved (1, 2, 4, 1,
  2, 4, ...) because other work shares the machine; the median per setting is reported.
- auto on static pages: the same pass over plain article pages with ``render = "auto"`` and
  with ``"never"``, interleaved; the browser must not start.

Memory: peak over the pass, sampled every 50 ms: the Chromium processes' resident memory less
what they share (``tracker.browser.browser_rss_bytes``), and this process's RSS.
Everything is served on 127.0.0.1. Needs Playwright and Chromium (``TRACKER_CHROMIUM`` or
``chromium`` on PATH).

    python benchmarks/bench_render.py [--quick] [--stories N] [--reps N] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import make_settings
from tests.servers import LocalServer, Route, article_html

from tracker.browser import browser_rss_bytes
from tracker.check.runner import CheckRunner
from tracker.config import Settings
from tracker.fetch import Fetcher
from tracker.service import Tracker

PARAS = [
    f"Paragraph {i} says the river rose by {i * 7} centimetres overnight, and officials "
    "expect more rain in the coming days across the whole valley."
    for i in range(10)
]
SPA = """<!doctype html><html><head><meta charset='utf-8'><title>Story {i}</title></head>
<body><div id='app'></div><script>
fetch('/api/{i}.json').then(r => r.json()).then(d => {{
  const a = document.createElement('article');
  a.innerHTML = '<h1>Story {i}</h1>' + d.paras.map(p => '<p>' + p + '</p>').join('');
  document.getElementById('app').replaceWith(a);
}});
</script></body></html>"""


def serve(n: int) -> LocalServer:
    server = LocalServer().start()
    for i in range(n):
        server.page(f"/spa/{i}", SPA.format(i=i))
        body = json.dumps({"paras": [f"Story {i}.", *PARAS]}).encode()
        server.routes[f"/api/{i}.json"] = Route(
            body=body, headers={"Content-Type": "application/json"}
        )
        server.page(f"/static/{i}", article_html(f"Story {i}", [f"Story {i}.", *PARAS]))
    return server


def tracker_for(workdir: Path, name: str, **fetch: object) -> Tracker:
    settings: Settings = make_settings(f"sqlite:///{workdir / name}.db", **fetch)
    settings.fetch.render_timeout = 20.0
    settings.fetch.timeout = 20.0
    t = Tracker(settings)
    t.init()
    return t


async def sample_peak(stop: asyncio.Event, peaks: dict[str, int]) -> None:
    me = psutil.Process()
    while not stop.is_set():
        peaks["browser"] = max(peaks["browser"], browser_rss_bytes())
        peaks["tracker"] = max(peaks["tracker"], me.memory_info().rss)
        await asyncio.sleep(0.05)


async def one_pass(t: Tracker, ids: list[int], warm: bool) -> tuple[float, dict[str, int], bool]:
    """Seconds for one check of ``ids`` with one runner (after a warm-up check of the first
    when ``warm``), the peak memory, and whether a browser started."""
    peaks = {"browser": 0, "tracker": 0}
    async with Fetcher(t.settings.fetch) as fetcher:
        runner = CheckRunner(t.settings, t.store, fetcher)
        try:
            if warm:
                await runner.check(ids[:1])
            stop = asyncio.Event()
            sampler = asyncio.create_task(sample_peak(stop, peaks))
            started = time.perf_counter()
            outcomes = await runner.check(ids)
            seconds = time.perf_counter() - started
            stop.set()
            await sampler
            failed = [o for o in outcomes if o.failed]
            if failed:
                raise SystemExit(f"{len(failed)} checks failed, e.g. {failed[0].error}")
            return seconds, peaks, runner.rendering.browser_started
        finally:
            await runner.aclose()


def rendered(server: LocalServer, workdir: Path, stories: int, reps: int) -> dict[str, object]:
    results: dict[int, list[tuple[float, dict[str, int]]]] = {1: [], 2: [], 4: []}
    trackers = {c: tracker_for(workdir, f"render{c}", render_concurrency=c) for c in results}
    ids = {}
    for c, t in trackers.items():
        t.add([server.url(f"/spa/{i}") for i in range(stories)], render="always")
        ids[c] = t.checkable_ids()
    for _ in range(reps):
        for c, t in trackers.items():
            seconds, peaks, _ = asyncio.run(one_pass(t, ids[c], warm=True))
            results[c].append((seconds, peaks))
            print(f"render_concurrency {c}: {stories / seconds:.1f} checks/s", file=sys.stderr)
    out: dict[str, object] = {}
    for c, runs in results.items():
        out[str(c)] = {
            "checks_per_s": round(stories / statistics.median(s for s, _ in runs), 2),
            "peak_browser_mb": round(max(p["browser"] for _, p in runs) / 2**20),
            "peak_tracker_mb": round(max(p["tracker"] for _, p in runs) / 2**20),
        }
    return out


def auto_cost(server: LocalServer, workdir: Path, stories: int, reps: int) -> dict[str, object]:
    modes = {m: tracker_for(workdir, f"static-{m}", render=m) for m in ("never", "auto")}
    ids = {}
    for m, t in modes.items():
        t.add([server.url(f"/static/{i}") for i in range(stories)])
        ids[m] = t.checkable_ids()
    times: dict[str, list[float]] = {m: [] for m in modes}
    launched = False
    for _ in range(reps):
        for m, t in modes.items():
            # A changed page each pass: every check fetches and extracts in full.
            for i in range(stories):
                html = article_html(f"Story {i}", [f"Story {i}, pass {time.time()}.", *PARAS])
                server.page(f"/static/{i}", html)
            seconds, _, started = asyncio.run(one_pass(t, ids[m], warm=False))
            times[m].append(seconds / stories * 1000)
            launched = launched or started
    never, auto = statistics.median(times["never"]), statistics.median(times["auto"])
    return {
        "never_ms_per_check": round(never, 2),
        "auto_ms_per_check": round(auto, 2),
        "auto_extra_ms_per_check": round(auto - never, 2),
        "browser_started": launched,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--stories", type=int, default=40)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    stories, reps = (12, 1) if args.quick else (args.stories, args.reps)
    os.environ.setdefault("TRACKER_CHROMIUM", "/usr/bin/chromium")
    server = serve(max(stories, 200))
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "stories": stories,
            "reps": reps,
            "cpus": os.cpu_count(),
            "rendered": rendered(server, Path(tmp), stories, reps),
            "auto_on_static": auto_cost(server, Path(tmp), 200 if not args.quick else 50, reps),
        }
    server.stop()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
