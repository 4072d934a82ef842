"""`make bench`: run every benchmark, print one table, write benchmarks/results/*.json.

    .venv/bin/python benchmarks/run.py            # everything (about 20 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # small N, short windows: a smoke test
    .venv/bin/python benchmarks/run.py --only pipeline --only daemon

Our benchmarks (pipeline, daemon) run in this process; the others (bench_revision.py,
bench_web.py, bench_alerts.py, bench_startup.py, bench_cards.py, bench_growth.py) run as
subprocesses when their files exist, with ``--json PATH`` when they accept it, and their
figures join the table.
Results: ``benchmarks/results/<name>.json`` and ``benchmarks/results/latest.json`` (all).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import traceback
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from common import BENCH, PYTHON, RESULTS, Result, fmt, log, machine, save, verdict

OURS = ("pipeline", "daemon")
THEIRS = ("revision", "web", "alerts", "startup", "cards", "growth")
OPTIONAL = ("peers",)  # not in a plain `make bench`: `--peers` or `--only peers`


def run_ours(name: str, quick: bool) -> dict[str, Any]:
    if name == "pipeline":
        import bench_pipeline

        res: Result = bench_pipeline.run(quick)
    else:
        import bench_daemon

        res = bench_daemon.run(quick)
    save(res)
    return res.to_json()


def run_theirs(name: str, quick: bool) -> dict[str, Any] | None:
    path = BENCH / f"bench_{name}.py"
    if not path.exists():
        return None
    source = path.read_text(encoding="utf-8")
    out = RESULTS / f"{name}.json"
    cmd = [PYTHON, str(path)]
    if "--json" in source:
        cmd += ["--json", str(out)]
    if quick and "--quick" in source:
        cmd.append("--quick")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=BENCH.parent)
    secs = time.perf_counter() - t0
    data: dict[str, Any] = {
        "name": name,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - secs)),
        "seconds": round(secs, 1),
        "returncode": proc.returncode,
    }
    if "--json" in source and out.exists() and out.stat().st_mtime >= time.time() - secs - 1:
        try:
            data.update(json.loads(out.read_text()))
        except json.JSONDecodeError as exc:
            data["error"] = f"unreadable JSON: {exc}"
    else:
        data["stdout"] = proc.stdout[-4000:]
    if proc.returncode != 0:
        data["stderr"] = proc.stderr[-4000:]
    return data


def figures_of(data: dict[str, Any], limit: int = 30) -> list[dict[str, Any]]:
    """Our figure list, or a best effort over another benchmark's JSON: its numeric leaves."""
    figs = data.get("figures")
    if isinstance(figs, list) and all(isinstance(f, dict) for f in figs):
        return figs
    out: list[dict[str, Any]] = []

    def walk(node: Any, prefix: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if key not in ("seconds", "returncode", "machine", "started"):
                    walk(value, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(node, int | float) and not isinstance(node, bool):
            out.append({"label": prefix, "value": node, "unit": "", "target": "", "ok": None})

    walk(data, "")
    return out


def table(results: dict[str, dict[str, Any]]) -> Table:
    t = Table(title="tracker benchmarks", header_style="bold", show_lines=False)
    for col in ("bench", "figure", "value", "unit", "target", "verdict", "note"):
        t.add_column(col, overflow="fold", max_width=70 if col == "note" else None)
    for name, data in results.items():
        figs = figures_of(data)
        if not figs:
            status = data.get("error") or f"exit {data.get('returncode')}, no figures"
            t.add_row(name, "(no figures)", "", "", "", "", str(status)[:200])
        for f in figs:
            ok = f.get("ok")
            style = {True: "green", False: "bold red"}.get(ok, "")
            value = f.get("value")
            t.add_row(
                name,
                escape(str(f.get("label", f.get("key", "")))),
                fmt(value) if isinstance(value, int | float) or value is None else str(value),
                str(f.get("unit", "")),
                str(f.get("target", "")),
                f"[{style}]{verdict(ok)}[/]" if style else verdict(ok),
                escape(str(f.get("note", ""))),
            )
        name = ""
    return t


def markdown(latest: dict[str, Any]) -> str:
    """latest.json as the Markdown table the README carries."""
    lines = [
        "| bench | figure | value | unit | target | verdict | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, data in latest["results"].items():
        for f in figures_of(data):
            value = f.get("value")
            shown = fmt(value) if isinstance(value, int | float) or value is None else str(value)
            cells = [
                name,
                str(f.get("label", f.get("key", ""))).strip(),
                shown,
                str(f.get("unit", "")),
                str(f.get("target", "")),
                verdict(f.get("ok")),
                str(f.get("note", "")),
            ]
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    m = latest["machine"]
    lines.append("")
    lines.append(
        f"Machine: {m['cpus']} cores, {m['cpu_model']}, {m['memory_gb']} GB, Python "
        f"{m['python']}, {m['platform']}; run of {m['date']}."
    )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--markdown", action="store_true", help="print results/latest.json as Markdown and exit"
    )
    p.add_argument("--quick", action="store_true", help="small N and short windows (smoke)")
    p.add_argument(
        "--only",
        action="append",
        choices=OURS + THEIRS + OPTIONAL,
        help="run only this (repeatable)",
    )
    p.add_argument(
        "--peers",
        action="store_true",
        help="tracker against urlwatch, whole processes (bench_peers.py; installs urlwatch "
        "into benchmarks/.peers on first use)",
    )
    args = p.parse_args()
    if args.markdown:
        print(markdown(json.loads((RESULTS / "latest.json").read_text())))
        return 0
    if args.peers:
        args.only = [*(args.only or []), "peers"]
    names = args.only or list(OURS + THEIRS)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    failed = False
    for name in names:
        log(f"== {name}")
        try:
            data = run_ours(name, args.quick) if name in OURS else run_theirs(name, args.quick)
        except Exception:
            failed = True
            data = {"name": name, "error": traceback.format_exc(limit=5)}
            log(data["error"])
        if data is None:
            log(f"benchmarks/bench_{name}.py does not exist yet: skipped")
            continue
        results[name] = data
    merged = results
    if args.only and (RESULTS / "latest.json").exists():
        # --only refreshes those entries; the others keep their last figures (and dates).
        try:
            previous = json.loads((RESULTS / "latest.json").read_text())["results"]
        except (json.JSONDecodeError, KeyError):
            previous = {}
        merged = {**previous, **results}
    latest = {"machine": machine(), "quick": args.quick, "results": merged}
    (RESULTS / "latest.json").write_text(json.dumps(latest, indent=2, default=str) + "\n")
    console = Console(width=200)
    console.print(table(results))
    m = latest["machine"]
    console.print(
        f"{m['cpus']} cores, {m['cpu_model']}, Python {m['python']}, {m['date']}, "
        f"load {m['load_1m']}; results in {RESULTS}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
