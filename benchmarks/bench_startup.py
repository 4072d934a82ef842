"""Start-up: how long `tracker --help` and `tracker list` take, as whole processes.

Each command runs as its own process, several times, interleaved with the others so
background load falls on all of them alike; the first round is a warm-up (page cache, .pyc
files) and is not counted. Per run: wall time, and CPU time (user + system) of the process
from ``os.wait4``, which moves less than wall time when other work shares the cores.

- ``python -c pass``: the interpreter alone;
- ``python -c 'import sqlalchemy'``: the floor for any command that reads the database;
- ``tracker --version``, ``tracker --help``: no database, no settings;
- ``tracker list``: a migrated SQLite database with 20 stories (never fetched).

Target (issue 12): ``--help`` and ``list`` under 0.3 s, i.e. not far above importing
SQLAlchemy. Also recorded, from one ``-X importtime`` run each: which of the heavy libraries
a command loaded (none of them should be).

Run: ``.venv/bin/python benchmarks/bench_startup.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import PYTHON, Result, at_most, bench_main, log, write_config

NAME = "startup"
TARGET_S = 0.3
# Libraries a read command has no use for; loading one is a start-up regression.
HEAVY = (
    "trafilatura",
    "readability",
    "justext",
    "lxml",
    "fastapi",
    "starlette",
    "uvicorn",
    "apprise",
    "playwright",
    "httpx",
    "feedparser",
    "warcio",
    "jinja2",
    "alembic",
)


def tracker_exe() -> list[str]:
    """The ``tracker`` command beside this interpreter (what users run), else ``-m tracker``."""
    script = Path(PYTHON).parent / "tracker"
    return [str(script)] if script.exists() else [PYTHON, "-m", "tracker"]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``cmd``; a failed run is an error."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {stderr.strip()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def heavy_loaded(cmd: list[str], env: dict[str, str]) -> list[str]:
    """The HEAVY libraries one run of ``cmd`` imported (read from ``-X importtime``)."""
    run_env = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, check=True)
    names = set(re.findall(r"^import time:.*\|\s*(\S+)\s*$", proc.stderr, re.MULTILINE))
    return sorted({n.split(".")[0] for n in names} & set(HEAVY))


def prepare(tmp: Path, env: dict[str, str]) -> Path:
    """A config and a migrated SQLite database with 20 stories; returns the config path."""
    config = write_config(tmp / "tracker.toml", f"sqlite:///{tmp / 'tracker.db'}")
    exe = [*tracker_exe(), "--config", str(config)]
    subprocess.run([*exe, "init"], env=env, check=True, capture_output=True)
    urls = [f"https://news.example.org/2026/story-{i}" for i in range(20)]
    subprocess.run([*exe, "add", *urls], env=env, check=True, capture_output=True)
    return config


def commands(config: Path) -> dict[str, list[str]]:
    exe = tracker_exe()
    return {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -c 'import sqlalchemy'": [PYTHON, "-c", "import sqlalchemy"],
        "tracker --version": [*exe, "--version"],
        "tracker --help": [*exe, "--help"],
        "tracker list (20 stories)": [*exe, "--config", str(config), "list"],
    }


def measure(cmds: dict[str, list[str]], rounds: int, env: dict[str, str]) -> dict[str, dict]:
    walls: dict[str, list[float]] = {name: [] for name in cmds}
    cpus: dict[str, list[float]] = {name: [] for name in cmds}
    for r in range(rounds + 1):
        for name, cmd in cmds.items():
            wall, cpu = timed(cmd, env)
            if r:  # round 0 warms the caches
                walls[name].append(wall)
                cpus[name].append(cpu)
    return {
        name: {
            "wall_median": statistics.median(walls[name]),
            "wall_min": min(walls[name]),
            "cpu_median": statistics.median(cpus[name]),
            "runs": len(walls[name]),
        }
        for name in cmds
    }


def run(quick: bool = False) -> Result:
    res = Result(NAME)
    started = time.perf_counter()
    rounds = 5 if quick else 15
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env.pop("TRACKER_CONFIG", None)
    # Installed packages have their .pyc files; a checkout gets them on its first run (the
    # warm-up round), unless this asks Python never to write them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        cmds = commands(prepare(Path(tmp), env))
        log(f"startup: {rounds} rounds of {len(cmds)} commands, {' '.join(tracker_exe())}")
        times = measure(cmds, rounds, env)
        loaded = {name: heavy_loaded(cmd, env) for name, cmd in cmds.items() if "tracker" in name}
    floor = times["python -c 'import sqlalchemy'"]["wall_median"]
    for name, t in times.items():
        target = name in ("tracker --help", "tracker list (20 stories)")
        note = f"CPU {t['cpu_median']:.3f} s, fastest {t['wall_min']:.3f} s, {t['runs']} runs"
        if name.startswith("tracker"):
            note += f"; {t['wall_median'] - floor:+.3f} s vs import sqlalchemy"
            note += f"; heavy libraries loaded: {', '.join(loaded[name]) or 'none'}"
        key = "wall_" + re.sub(r"\W+", "_", name).strip("_")
        res.add(
            key,
            f"{name}, wall (median)",
            t["wall_median"],
            "s",
            target=f"< {TARGET_S}" if target else "",
            ok=at_most(t["wall_median"], TARGET_S) if target else None,
            note=note,
        )
    res.details = {"times": times, "heavy_loaded": loaded, "command": tracker_exe()}
    res.details["load_1m_after"] = round(os.getloadavg()[0], 2)
    res.seconds = time.perf_counter() - started
    return res


if __name__ == "__main__":
    bench_main(__doc__ or NAME, run, "5 rounds instead of 15")
