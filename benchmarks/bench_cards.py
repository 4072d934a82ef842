"""Diff cards: how long one card takes to draw (layout + Pillow + PNG), and how big it is.

Cases, each a made-up change (no page is copied): an English headline change, a figure
revised in the body, a Chinese story, an Arabic story, a long rewrite trimmed to fit (200
added sentences, "+ N more changes"), and a hostile 2,000-character word. The cases run
interleaved (A, B, C, ... then again) so background load falls on all alike; the first round
is a warm-up (fonts loaded, glyphs cached) and is reported apart as the cold first card.
Both wall time and the thread's CPU time are recorded: on a machine shared with other work
(load above the core count) wall time includes waiting for a core, CPU time does not.

Target (issue 14): under 200 ms per card at 1200 px on this machine; under 1 MB.

Run: ``.venv/bin/python benchmarks/bench_cards.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import os
import statistics
import time

from common import Result, at_most, bench_main, log
from tracker.cards import render_card
from tracker.records import Article
from tracker.revision import ChangeReport, analyze

NAME = "cards"
TARGET_MS = 200.0
META = {"url": "https://news.example.com/story", "from": 3, "to": 4,
        "from_time": "2026-11-30T09:12:00+00:00", "to_time": "2026-11-30T09:40:00+00:00",
        "web_url": "https://tracker.example.org/stories/1/diff/3/4"}  # fmt: skip
BODY = [
    "The storm left 35,000 homes without power across the region, the utility said. "
    "Crews from three states were on their way.",
    "Schools will stay closed on Wednesday. The governor said the state would ask for aid.",
    "Forecasters expect the rain to ease by Thursday morning.",
]


def _art(title: str, paragraphs: list[str]) -> Article:
    return Article(title, "", None, None, tuple(paragraphs))


def cases() -> dict[str, ChangeReport]:
    arabic_old = ["قالت الحكومة إن المساعدات في الطريق إلى المدينة.", "أغلقت المدارس يوم الأربعاء."]
    arabic_new = [arabic_old[0].replace("المدينة", "المدن الثلاث"), arabic_old[1], "وصل الجيش."]
    cjk_old = ["台风周二晚在沿海登陆，当地已紧急转移约两万名居民。", "风力将逐渐减弱。"]
    cjk_new = [cjk_old[0].replace("两万", "三万"), cjk_old[1], "目前已有两座机场暂停运营。"]
    long_new = [
        *BODY,
        *(f"Update {n}: officials gave new figures for district {n}." for n in range(200)),
    ]
    return {
        "headline (en)": analyze(
            _art("Storm hits coast", BODY), _art("Storm batters coast, 48,000 without power", BODY)
        ),
        "number (en)": analyze(
            _art("Storm", BODY), _art("Storm", [BODY[0].replace("35,000", "48,000"), *BODY[1:]])
        ),
        "cjk": analyze(
            _art("台风登陆 两万人转移", cjk_old), _art("台风登陆 三万人紧急转移", cjk_new)
        ),
        "arabic": analyze(_art("عاصفة", arabic_old), _art("عاصفة قوية", arabic_new)),
        "long, trimmed": analyze(_art("Storm", BODY), _art("Storm", long_new)),
        "2,000-char word": analyze(_art("Storm", BODY), _art("Storm", [*BODY, "X" * 2000 + "."])),
    }


def run(quick: bool) -> Result:
    started = time.perf_counter()
    res = Result(NAME)
    reports = cases()
    rounds = 5 if quick else 30
    t0 = time.perf_counter()
    render_card(reports["headline (en)"], META)  # the first card of a process: fonts load
    cold_ms = (time.perf_counter() - t0) * 1000
    times: dict[str, list[float]] = {name: [] for name in reports}
    cpu: dict[str, list[float]] = {name: [] for name in reports}
    sizes: dict[str, tuple[int, int, int]] = {}
    log(f"cards: {rounds} interleaved rounds of {len(reports)} cases")
    for r in range(rounds + 1):
        for name, report in reports.items():
            t, c = time.perf_counter(), time.thread_time()
            card = render_card(report, META)
            if r:  # round 0 is the warm-up
                times[name].append((time.perf_counter() - t) * 1000)
                cpu[name].append((time.thread_time() - c) * 1000)
            sizes[name] = (card.layout.width, card.layout.height, len(card.png))
    for name, ms in times.items():
        med, worst, cpu_med = statistics.median(ms), max(ms), statistics.median(cpu[name])
        w, h, size = sizes[name]
        note = f"CPU {cpu_med:.0f} ms; max {worst:.0f} ms; {w}x{h}, {size / 1000:.0f} KB"
        target = f"< {TARGET_MS:g}"
        label = f"{name}: card time (median)"
        res.add(
            f"ms_{name}", label, med, "ms", target=target, ok=at_most(med, TARGET_MS), note=note
        )
    res.add("ms_cold", "first card of a process (fonts load)", cold_ms, "ms")
    biggest = max(s for _, _, s in sizes.values())
    res.add(
        "bytes_max",
        "largest PNG",
        biggest / 1000,
        "KB",
        target="< 1000",
        ok=at_most(biggest, 1_000_000),
    )
    res.details = {"times_ms": times, "cpu_ms": cpu, "sizes": sizes, "rounds": rounds}
    res.details["load_1m_after"] = round(os.getloadavg()[0], 2)
    res.seconds = time.perf_counter() - started
    return res


if __name__ == "__main__":
    bench_main(__doc__ or NAME, run, "5 rounds instead of 30")
