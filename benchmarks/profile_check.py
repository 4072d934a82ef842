"""Where does a bulk check spend its time? py-spy on ``Tracker.check(ids)`` against the newsroom.

    .venv/bin/pip install py-spy          # not a project dependency
    .venv/bin/python benchmarks/profile_check.py --scenario 304 --stories 1000

Sets up N stories with version 1 (not profiled), attaches py-spy to this process (and, with
``--subprocesses``, to the extraction workers), runs the scenario ``--reps`` times, then
prints the functions with the most samples: self time and inclusive time, per process.
Scenarios: ``304`` (validators), ``noise`` (200 + fresh noise, fingerprint decides),
``changed`` (every page edited before each pass). Raw stacks stay in ``--out``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import NewsroomProcess, bench_settings, log


def aggregate(raw: Path, top: int) -> str:
    """Collapsed stacks -> the top functions by self and inclusive samples, per process."""
    self_t: dict[str, Counter[str]] = {}
    incl: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = stack.split(";")
        proc = frames[0].split(":")[0] if frames and frames[0].startswith("process ") else "main"
        frames = [f for f in (frames[1:] if proc != "main" else frames) if f]
        if not frames:
            continue
        count = int(n)
        totals[proc] += count
        self_t.setdefault(proc, Counter())[_short(frames[-1])] += count
        for f in set(map(_short, frames)):
            incl.setdefault(proc, Counter())[f] += count
    out = []
    for proc, total in totals.most_common():
        out.append(f"== {proc}: {total} samples")
        out.append("  self:")
        out += [f"    {c / total:6.1%}  {f}" for f, c in self_t[proc].most_common(top)]
        out.append("  inclusive:")
        out += [f"    {c / total:6.1%}  {f}" for f, c in incl[proc].most_common(top * 2)]
    return "\n".join(out)


def _short(frame: str) -> str:
    # "func (path/to/module.py:123)" -> "func (module.py)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if len(parts) >= 2 else path
    return f"{name} ({short})"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", choices=["304", "noise", "changed"], default="304")
    p.add_argument("--stories", type=int, default=1000)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--subprocesses", action="store_true", help="profile the workers too")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "tracker-profile.txt")
    args = p.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")
    from tracker.service import Tracker

    with tempfile.TemporaryDirectory() as d, NewsroomProcess(args.stories) as room:
        db = f"sqlite:///{Path(d) / 'profile.db'}"
        t = Tracker(bench_settings(db, concurrency=args.concurrency))
        t.init()
        ids = [a.story_id for a in t.add([room.url(i) for i in range(args.stories)])]
        room.configure(validators=args.scenario == "304", noise=args.scenario != "304")
        t.check(ids)
        t.check(ids)
        cmd = [spy, "record", "--pid", str(os.getpid()), "--format", "raw", "-o", str(args.out)]
        cmd += ["--rate", "200", "--nonblocking"]
        if args.subprocesses:
            cmd.append("--subprocesses")
        spy_proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        t0 = time.perf_counter()
        for _ in range(args.reps):
            if args.scenario == "changed":
                room.edit_all()
            t.check(ids)
        secs = time.perf_counter() - t0
        spy_proc.send_signal(signal.SIGINT)
        spy_proc.wait(60)
        t.close()
    log(f"{args.scenario}: {args.reps * args.stories / secs:.0f} checks/s under py-spy")
    print(aggregate(args.out, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
