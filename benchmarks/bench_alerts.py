"""Issue #5's figures: alert latency, from an edit on the newsroom to the webhook's receipt.

- end to end through the daemon (``tracker run`` as a subprocess, SQLite), 1,000 tracked
  stories checked every 60 s (jitter 0.1), a signed webhook channel to a receiver on
  127.0.0.1 in this process: edits at random times; for each, the newsroom's edit time, the
  version's first_seen (from the payload) and the receipt time. The edit -> version part is
  the check interval at work; version -> receipt is the outbox (``outbox_every`` = 2 s, then
  render and send);
- delivery throughput: ``deliver`` in-process draining 1,000 queued alerts (real change
  reports) to the same receiver: alerts per second, per-alert milliseconds.

Run alone: ``.venv/bin/python benchmarks/bench_alerts.py [--quick] [--json PATH]``; writes
``results/alerts.json``. Nothing talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench_daemon import MINUTE_SCHEDULE, Daemon, counts, insert_stories
from common import (
    NewsroomProcess,
    Result,
    bench_main,
    bench_settings,
    log,
    sessions,
    summary,
    write_config,
)

NAME = "alerts"
SECRET = "bench-secret"


class Receiver:
    """A webhook receiver: checks the signature, keeps (receipt time, payload) per key."""

    def __init__(self) -> None:
        self.got: dict[str, tuple[float, dict[str, Any]]] = {}
        self.bad = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                at = time.time()
                mac = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(
                    self.headers.get("X-Tracker-Signature", ""), f"sha256={mac}"
                )
                with receiver.lock:
                    if not ok:
                        receiver.bad += 1
                    else:
                        key = self.headers["X-Tracker-Idempotency-Key"]
                        receiver.got.setdefault(key, (at, json.loads(body)))
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def channel_toml(url: str) -> str:
    # min_class "minor": the newsroom's edit changes one figure in one sentence.
    return (
        f'[[channels]]\nname = "bench"\nkind = "webhook"\nurl = "{url}"\nsecret = "{SECRET}"\n'
        'min_class = "minor"\n'
    )


# ---------------------------------------------------------------- end to end


def end_to_end(res: Result, room: NewsroomProcess, tmp: Path, n: int, span: float, edits: int):  # type: ignore[no-untyped-def]
    receiver = Receiver()
    url = f"sqlite:///{tmp / 'alerts.db'}"
    insert_stories(url, [room.url(i) for i in range(n)], interval_s=60.0)
    room.configure(validators=False, noise=True)
    cfg = write_config(
        tmp / "alerts.toml", url, MINUTE_SCHEDULE + "\n" + channel_toml(receiver.url)
    )
    daemon = Daemon(cfg, "bench-alerts", tmp / "alerts.log")
    done: list[tuple[int, float]] = []
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline:
            time.sleep(3)
            if counts(url, datetime(2000, 1, 1, tzinfo=UTC))["versions"] >= n:
                break
        log(f"end to end: every story has version 1 ({len(receiver.got)} alerts so far); editing")
        rng = random.Random(5)
        stories = rng.sample(range(n), edits)
        offsets = sorted(rng.uniform(0, span) for _ in range(edits))
        t0 = time.monotonic()
        for story, off in zip(stories, offsets, strict=True):
            time.sleep(max(0.0, t0 + off - time.monotonic()))
            done.append((story, room.edit(story)))
        time.sleep(80)  # the longest interval (66 s with jitter), the check, the outbox
    finally:
        daemon.stop()
        receiver.close()
    by_story: dict[int, list[tuple[float, dict[str, Any]]]] = {}
    for at, payload in receiver.got.values():
        story = int(payload["story"]["url"].rsplit("/", 1)[1])
        by_story.setdefault(story, []).append((at, payload))
    total, check_part, outbox_part, missed = [], [], [], 0
    for story, edited in done:
        after = sorted((a, p) for a, p in by_story.get(story, []) if a >= edited)
        if not after:
            missed += 1
            continue
        at, payload = after[0]
        version_at = datetime.fromisoformat(payload["to"]["time"]).timestamp()
        total.append(at - edited)
        check_part.append(version_at - edited)
        outbox_part.append(at - version_at)
    s_total = summary(total)
    res.details["end_to_end"] = {
        "stories": n,
        "edits": edits,
        "missed": missed,
        "bad_signatures": receiver.bad,
        "edit_to_receipt_s": s_total,
        "edit_to_version_s": summary(check_part),
        "version_to_receipt_s": summary(outbox_part),
    }
    note = f"{n} stories, 60 s interval, jitter 0.1, {edits} edits over {span:.0f} s"
    res.add(
        "edit_to_alert_p50_s",
        "edit -> webhook receipt, p50",
        s_total["median"],
        "s",
        "",
        None,
        note,
    )
    res.add(
        "edit_to_alert_p95_s",
        "edit -> webhook receipt, p95",
        s_total["p95"],
        "s",
        "",
        None,
        f"{missed} edits without an alert",
    )
    out = summary(outbox_part)
    res.add(
        "version_to_alert_p50_s",
        "version stored -> webhook receipt (outbox), p50",
        out["median"],
        "s",
        "",
        None,
        f"p95 {out['p95'] or 0:.2f} s, outbox_every 2 s",
    )


# ---------------------------------------------------------------- throughput


def throughput(res: Result, tmp: Path, n: int) -> None:
    from tracker import revision
    from tracker.config import ChannelSettings
    from tracker.notify import deliver
    from tracker.records import Article
    from tracker.service import Tracker
    from tracker.store import db, outbox
    from tracker.store import queries as q

    receiver = Receiver()
    settings = bench_settings(f"sqlite:///{tmp / 'throughput.db'}")
    settings.channels = [
        ChannelSettings(name="bench", kind="webhook", url=receiver.url, secret=SECRET)
    ]
    t = Tracker(settings)
    t.init()
    paras = [
        f"Sentence {k} of a developing story about the storm and its {k} victims."
        for k in range(40)
    ]
    old = Article("Storm hits coast", "", None, None, tuple(paras))
    new = Article(
        "Storm kills 12 on coast",
        "",
        None,
        None,
        tuple([*paras[:20], "Rescuers found 12 people.", *paras[21:]]),
    )
    report = revision.analyze(old, new)
    now = datetime.now(UTC)
    with db.transaction(sessions(t)) as s:
        for i in range(n):
            sid, _ = q.add_story(s, f"https://news.example/{i}", now=now, interval_s=60)
            vids = [
                q.add_version(
                    s,
                    story_id=sid,
                    article=a,
                    content_sha256=a.title,
                    now=now,
                    snapshot_id=None,
                    final_url=None,
                    status_code=200,
                    headers=None,
                    fetched_at=now,
                )[0]
                for a in (old, new)
            ]
            cid = q.add_change(
                s,
                story_id=sid,
                from_version_id=vids[0],
                to_version_id=vids[1],
                at=now,
                change_class=report.change_class,
                summary=report.summary,
                report=report.to_json(),
                revert_of=None,
            )
            outbox.enqueue(s, cid, [outbox.OutboxTarget("bench")], now)
    passes, delivered = [], 0
    t0 = time.perf_counter()
    while True:
        p0 = time.perf_counter()
        stats = deliver(t.store, t.settings, owner="bench", now=t.clock(), limit=100)
        if not stats.attempted:
            break
        passes.append((time.perf_counter() - p0) * 1000 / stats.attempted)
        delivered += stats.delivered
    secs = time.perf_counter() - t0
    t.close()
    receiver.close()
    per = summary(passes)
    res.details["throughput"] = {
        "alerts": n,
        "delivered": delivered,
        "seconds": secs,
        "ms_per_alert_by_pass": per,
        "received": len(receiver.got),
    }
    res.add(
        "deliver_rate",
        f"deliver_due draining {n:,} alerts to a local webhook",
        delivered / secs if secs else None,
        "alerts/s",
        "",
        None,
        f"{per['median'] or 0:.1f} ms per alert (render + sign + POST + record), one worker",
    )


# ---------------------------------------------------------------- main


def run(quick: bool = False) -> Result:
    res = Result(NAME)
    started = time.perf_counter()
    n = 200 if quick else 1000
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as d, NewsroomProcess(n) as room:
        tmp = Path(d)
        log(f"newsroom with {n} stories at {room.base}")
        throughput(res, tmp, 200 if quick else 1000)
        end_to_end(res, room, tmp, n, 40 if quick else 210, 20 if quick else 150)
    res.seconds = time.perf_counter() - started
    return res


def main() -> None:
    bench_main(__doc__ or NAME, run, "200 stories, short windows")


if __name__ == "__main__":
    sys.exit(main())
