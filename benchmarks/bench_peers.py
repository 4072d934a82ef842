"""Peers, as users compare them: `tracker check --all` against urlwatch, whole processes.

    .venv/bin/python benchmarks/bench_peers.py [--stories 1000] [--reps 2] [--json PATH]
    make bench-peers

One newsroom (``newsroom.py``, N ~97 KB article pages) serves both tools in the same run.
urlwatch is installed from PyPI into its own venv under ``benchmarks/.peers/`` (git-ignored)
on first use. Three contenders, each a whole process under ``/usr/bin/time -v`` (start-up,
imports and worker processes included), taking turns (ABC, then CBA, ...) so background load
falls on all alike; figures are medians over ``--reps`` runs:

- ``tracker``: ``tracker check --all --quiet`` (automatic article extraction);
- ``urlwatch raw``: one ``url`` job per story, the raw page compared;
- ``urlwatch filter``: the same jobs with a hand-written ``css`` + ``html2text`` filter.

Scenarios: unchanged with validators (the newsroom answers 304), unchanged without validators
(200, the same body), every story changed (``POST /edit-all`` before each round, one number in
one sentence). Also: peak RSS of each process tree (psutil, every 50 ms, main + children),
and database growth per version: the SQLite file (after ``PRAGMA wal_checkpoint(TRUNCATE)``)
before and after a changed pass, divided by the versions it added.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    NewsroomProcess,
    Result,
    RssSampler,
    log,
    save_and_print,
    tracker_cmd,
    write_config,
)

NAME = "peers"
PEERS = BENCH / ".peers"
VENV = PEERS / "venv"
URLWATCH_PACKAGES = ("urlwatch", "lxml", "cssselect", "html2text")
# What a user would write for these pages: the article body, as text.
FILTER = "\n  - css: div.story__body\n  - html2text"
TOOLS = ("tracker", "urlwatch raw", "urlwatch filter")
SCENARIOS = ("unchanged_304", "unchanged_200", "changed")


def ensure_urlwatch() -> Path:
    exe = VENV / "bin" / "urlwatch"
    if not exe.exists():
        log(f"installing urlwatch into {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, *URLWATCH_PACKAGES], check=True)
    return exe


def urlwatch_version(exe: Path) -> str:
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    return out.stdout.strip()


@dataclass
class Run:
    seconds: float
    cpu_s: float
    maxrss_mb: float  # /usr/bin/time: the largest single process
    tree_mb: float  # psutil: main + children together, at the peak sample
    returncode: int


@dataclass
class Contender:
    name: str
    cmd: list[str]
    db: Path
    pythonpath: str | None = None  # another tracker checkout's src/ (``--baseline``)
    runs: dict[str, list[Run]] = field(default_factory=dict)
    growth: list[float] = field(default_factory=list)  # bytes per version, per changed pass

    def run(self, scenario: str, env: dict[str, str]) -> Run:
        timed = ["/usr/bin/time", "-v", *self.cmd]
        if self.pythonpath is not None:
            env = {**env, "PYTHONPATH": self.pythonpath}
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=self.db.parent
        )
        sampler = RssSampler(proc.pid).start()
        _, err = proc.communicate()
        peaks = sampler.stop()
        secs = time.perf_counter() - t0
        text = err.decode(errors="replace")
        stats = _time_v(text)
        # 1 is `tracker check`'s "some checks failed"; a traceback is a crash whatever the code
        if proc.returncode not in (0, 1) or "Traceback (most recent call last)" in text:
            raise RuntimeError(f"{self.name} failed ({proc.returncode}): {text[-3000:]}")
        # The sampler watches /usr/bin/time: its one child is the tool's main process.
        run = Run(
            secs,
            stats["user"] + stats["sys"],
            stats["maxrss_kb"] / 1024,
            peaks.children_sum_mb,
            proc.returncode,
        )
        self.runs.setdefault(scenario, []).append(run)
        return run


def _time_v(text: str) -> dict[str, float]:
    def grab(label: str) -> float:
        m = re.search(rf"{re.escape(label)}: ([0-9.]+)", text)
        return float(m.group(1)) if m else 0.0

    return {
        "user": grab("User time (seconds)"),
        "sys": grab("System time (seconds)"),
        "maxrss_kb": grab("Maximum resident set size (kbytes)"),
    }


def db_bytes(path: Path) -> int:
    """The SQLite file after a checkpoint folded the WAL into it (WAL and SHM counted too)."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def versions_in(c: Contender) -> int:
    with sqlite3.connect(c.db) as db:
        if c.name.startswith("tracker"):
            n = db.execute("SELECT count(*) FROM version").fetchone()[0]
        else:
            n = db.execute("SELECT count(*) FROM CacheEntry").fetchone()[0]
    db.close()
    return int(n)


def setup(room: NewsroomProcess, work: Path, exe: Path, baseline: Path | None) -> list[Contender]:
    n = room.stories
    urls = [room.url(i) for i in range(n)]
    tdir, rdir, fdir = (work / d for d in ("tracker", "urlwatch-raw", "urlwatch-filter"))
    for d in (tdir, rdir, fdir):
        d.mkdir(parents=True, exist_ok=True)
    tdb = tdir / "tracker.db"
    cfg = write_config(tdir / "tracker.toml", f"sqlite:///{tdb}")
    (tdir / "urls.txt").write_text("\n".join(urls) + "\n")
    subprocess.run(tracker_cmd(cfg, "init"), check=True, capture_output=True)
    subprocess.run(
        tracker_cmd(cfg, "add", "--from-file", str(tdir / "urls.txt"), "--json"),
        check=True,
        capture_output=True,
    )
    contenders = [Contender("tracker", tracker_cmd(cfg, "check", "--all", "--quiet"), tdb)]
    if baseline is not None:  # the same stories, in a database the other tree made itself
        # (a copy of ours would carry a schema the other tree may not know)
        bdir = work / "baseline"
        bdir.mkdir()
        bdb = bdir / "tracker.db"
        bcfg = write_config(bdir / "tracker.toml", f"sqlite:///{bdb}")
        benv = {**os.environ, "PYTHONPATH": str(baseline)}
        subprocess.run(tracker_cmd(bcfg, "init"), check=True, capture_output=True, env=benv)
        subprocess.run(
            tracker_cmd(bcfg, "add", "--from-file", str(tdir / "urls.txt"), "--json"),
            check=True,
            capture_output=True,
            env=benv,
        )
        cmd = tracker_cmd(bcfg, "check", "--all", "--quiet")
        contenders.append(Contender("tracker baseline", cmd, bdb, str(baseline)))
    for name, d, filt in (("urlwatch raw", rdir, None), ("urlwatch filter", fdir, FILTER)):
        jobs = []
        for i, u in enumerate(urls):
            jobs.append(f"name: story {i}\nurl: {u}\n" + (f"filter:{filt}\n" if filt else ""))
        (d / "urls.yaml").write_text("---\n".join(jobs))
        (d / "urlwatch.yaml").write_text(URLWATCH_CONFIG)
        (d / "hooks.py").write_text("")
        cmd = [str(exe), "--urls", "urls.yaml", "--config", "urlwatch.yaml"]
        cmd += ["--hooks", "hooks.py", "--cache", "cache.db"]
        contenders.append(Contender(name, cmd, d / "cache.db"))
    return contenders


# The default stdout reporter (what a user sees), no colour, no e-mail.
URLWATCH_CONFIG = """\
display: {new: true, error: true, unchanged: false, empty-diff: true}
report:
  stdout: {enabled: true, color: false}
  text: {details: true, footer: true, line_length: 75, minimal: false, separate: false}
  html: {diff: unified, separate: false}
  email: {enabled: false}
"""


def run(stories: int, reps: int, baseline: Path | None = None) -> Result:
    res = Result(NAME)
    started = time.perf_counter()
    exe = ensure_urlwatch()
    env = {**os.environ, "NO_COLOR": "1"}
    # Both tools run as installed: with their .pyc files (urlwatch's venv has them from pip; a
    # checkout writes its own on the first pass), unless this asks Python never to write them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as d, NewsroomProcess(stories) as room:
        work = Path(d)
        log(f"newsroom with {stories} stories at {room.base}")
        contenders = setup(room, work, exe, baseline)
        room.configure(validators=True, noise=False)
        for c in contenders:  # version 1 / the first cache entry of every story
            r = c.run("first", env)
            log(f"first pass {c.name}: {r.seconds:.1f}s")
        for rep in range(reps):
            order = contenders if rep % 2 == 0 else contenders[::-1]
            for scenario in SCENARIOS:
                one_round(room, order, scenario, env)
        res.details = details(contenders, stories, reps, urlwatch_version(exe))
        figures(res, contenders, stories)
    res.seconds = time.perf_counter() - started
    return res


def one_round(room: NewsroomProcess, order: list[Contender], scenario: str, env: Any) -> None:
    room.configure(validators=scenario == "unchanged_304")
    if scenario == "changed":
        room.edit_all()
    for c in order:
        before = db_bytes(c.db), versions_in(c)
        r = c.run(scenario, env)
        if scenario == "changed":
            after = db_bytes(c.db), versions_in(c)
            added = max(1, after[1] - before[1])
            c.growth.append((after[0] - before[0]) / added)
        log(f"{scenario:14} {c.name:16} {room.stories / r.seconds:7.0f}/s  cpu {r.cpu_s:5.1f}s")


def median_rate(c: Contender, scenario: str, n: int) -> float:
    return statistics.median(n / r.seconds for r in c.runs[scenario])


def details(cs: list[Contender], n: int, reps: int, uw: str) -> dict[str, Any]:
    return {
        "stories": n,
        "reps": reps,
        "urlwatch": uw,
        "filter": FILTER,
        "runs": {
            c.name: {s: [r.__dict__ for r in runs] for s, runs in c.runs.items() if s in SCENARIOS}
            | {"growth_bytes_per_version": c.growth}
            for c in cs
        },
    }


LABELS = {
    "unchanged_304": ("unchanged, validators on (304)", "checks/s"),
    "unchanged_200": ("unchanged, no validators", "checks/s"),
    "changed": ("every story changed", "versions/s"),
}


def figures(res: Result, cs: list[Contender], n: int) -> None:
    by = {c.name: c for c in cs}
    t, base = by["tracker"], by.get("tracker baseline")
    for s, (label, unit) in LABELS.items():
        rates = [median_rate(by[name], s, n) for name in TOOLS]
        target, ok = "", None
        if s == "unchanged_304":
            target, ok = ">= 2.5x urlwatch raw", rates[0] >= 2.5 * rates[1]
        elif s == "changed":
            target, ok = ">= 1.0x urlwatch filter", rates[0] >= rates[2]
        note = (
            f"urlwatch raw {rates[1]:.0f} ({rates[0] / rates[1]:.2f}x), "
            f"filter {rates[2]:.0f} ({rates[0] / rates[2]:.2f}x)"
        )
        res.add(s, f"tracker: {label}", rates[0], unit, target, ok, note)
        res.add(f"{s}_urlwatch_raw", f"  urlwatch raw: {label}", rates[1], unit)
        res.add(f"{s}_urlwatch_filter", f"  urlwatch filter: {label}", rates[2], unit)
        if base is not None:
            b = median_rate(base, s, n)
            note = f"this tree / baseline: {rates[0] / b:.2f}x"
            res.add(f"{s}_baseline", f"  tracker baseline: {label}", b, unit, note=note)
    for name in TOOLS:
        rs = by[name].runs["changed"]
        res.add(
            f"rss_{name.replace(' ', '_')}",
            f"peak RSS, changed pass: {name}",
            statistics.median(r.maxrss_mb for r in rs),
            "MB",
            note=f"largest process; whole tree {statistics.median(r.tree_mb for r in rs):.0f} MB",
        )
    for c in cs:
        g = statistics.median(c.growth)
        if c is base:
            res.add("growth_baseline", "database growth per version: baseline", g, "bytes")
            continue
        target, ok = ("<= 2,048", g <= 2048) if c is t else ("", None)
        res.add(
            f"growth_{c.name.replace(' ', '_')}",
            f"database growth per version: {c.name}",
            g,
            "bytes",
            target,
            ok,
            "SQLite file after a WAL checkpoint, per version added",
        )


def contenders_from(details: dict[str, Any]) -> list[Contender]:
    """The contenders of a saved result (``--render``), with their runs and growth."""
    out = []
    for name, runs in details["runs"].items():
        c = Contender(name, [], Path(), "" if name == "tracker baseline" else None)
        c.growth = list(runs.get("growth_bytes_per_version", []))
        c.runs = {s: [Run(**r) for r in rs] for s, rs in runs.items() if s in SCENARIOS}
        out.append(c)
    return out


def table(res: Result) -> str:
    """The README table: one row per scenario, tracker beside both urlwatch modes."""
    f = {fig.key: fig.value for fig in res.figures}
    rows = [
        f"| N = {res.details['stories']:,} | tracker | urlwatch, raw page | "
        "urlwatch, CSS + html2text filter | tracker / raw | tracker / filter |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s, (label, unit) in LABELS.items():
        a, b, c = f[s] or 0, f[f"{s}_urlwatch_raw"] or 1, f[f"{s}_urlwatch_filter"] or 1
        rows.append(
            f"| {label} ({unit}) | {a:,.0f} | {b:,.0f} | {c:,.0f} | {a / b:.2f}x | {a / c:.2f}x |"
        )
    runs = res.details["runs"]
    for s, (label, _) in LABELS.items():
        cpu = [statistics.median(r["cpu_s"] for r in runs[n][s]) for n in TOOLS]
        rows.append(
            f"| CPU seconds, {label} (all processes) | "
            + " | ".join(f"{v:.1f}" for v in cpu)
            + f" | {cpu[1] / cpu[0]:.2f}x | {cpu[2] / cpu[0]:.2f}x |"
        )
    for key, label, fmt in (("rss", "peak RSS, changed pass (MB)", "{:,.0f}"),):
        vals = [f[f"{key}_{n.replace(' ', '_')}"] or 0 for n in TOOLS]
        rows.append(f"| {label} | " + " | ".join(fmt.format(v) for v in vals) + " | | |")
    if f"{SCENARIOS[0]}_baseline" in f:
        cells = [f"{f[s] or 0:,.0f} / {f[f'{s}_baseline'] or 1:,.0f}" for s in SCENARIOS]
        rows.append("| tracker / baseline tree, same turns | " + " | ".join(cells) + " | | |")
    g = [f[f"growth_{n.replace(' ', '_')}"] or 0 for n in TOOLS]
    rows.append("| database growth per version (bytes) | " + " | ".join(f"{v:,.0f}" for v in g))
    rows[-1] += " | | |"
    return "\n".join(rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stories", type=int, default=1000)
    p.add_argument("--reps", type=int, default=2, help="runs per scenario and tool (median)")
    p.add_argument("--quick", action="store_true", help="100 stories, one run each")
    p.add_argument("--json", type=Path, help="write the result here too")
    p.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="also run another tracker checkout (its src/ folder) in the same turns, for A/B",
    )
    p.add_argument("--render", type=Path, metavar="JSON", help="print a saved result again")
    args = p.parse_args()
    if args.render:
        saved = json.loads(args.render.read_text())
        res = Result(NAME, details=saved["details"], started=saved["started"])
        figures(res, contenders_from(saved["details"]), saved["details"]["stories"])
        print(table(res))
        return 0
    stories, reps = (100, 1) if args.quick else (args.stories, args.reps)
    res = run(stories, reps, args.baseline)
    save_and_print(res, args.json)
    print()
    print(table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
