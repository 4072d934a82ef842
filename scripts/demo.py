"""`make run`: the real daemon on SQLite, following a story that a local newsroom edits.

A local HTTP server (127.0.0.1) serves a developing story (the seed story from
../shared/seed when present, else a built-in one) and edits it every few seconds: a number
changes, a sentence is added, the headline is rewritten, a typo is fixed. `tracker run`
follows it on ./demo-data/tracker.db; then `tracker history` and `tracker diff` print
what it recorded. Nothing leaves this machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "demo-data"
SEED = ROOT.parent / "shared" / "seed"
BUILTIN = [
    "The governor is sending the state National Guard to support federal immigration enforcement.",
    "Guard members will assist with administrative, clerical and logistical duties at "
    "processing facilities in the state, the governor's office said on Tuesday.",
    '"Public safety is our top priority," the governor said in a statement.',
    "Critics said the move would divert the Guard from its role in emergencies.",
]


def story_paragraphs() -> list[str]:
    files = sorted(SEED.glob("*.txt")) if SEED.exists() else []
    if files:
        lines = [
            ln.strip() for ln in files[0].read_text(encoding="utf-8").splitlines() if ln.strip()
        ]
        if lines:
            return lines
    return list(BUILTIN)


def page(title: str, paragraphs: list[str]) -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="2026-11-28T08:00:00Z"></head>
<body><nav><a href="/">Home</a></nav><article><h1>{title}</h1><p class="byline">By Demo Reporter</p>
{body}</article><footer>Demo newsroom</footer>
<script>var nonce = "{time.time()}";</script></body></html>""".encode()


class Newsroom:
    def __init__(self) -> None:
        self.title = "Governor sends National Guard to help immigration enforcement"
        self.paragraphs = story_paragraphs()
        self.paragraphs.append("This is a developing story that will be updated.")
        room = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:
                body = page(room.title, room.paragraphs)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/news/developing-story"

    def edits(self) -> list[tuple[str, callable]]:  # type: ignore[valid-type]
        def number() -> None:
            self.paragraphs[1] = self.paragraphs[1] + " At least 200 Guard members will take part."

        def add_sentence() -> None:
            self.paragraphs.insert(
                2, "A spokesperson for the Guard confirmed the deployment on Wednesday."
            )

        def headline() -> None:
            self.title = (
                "Missouri National Guard to assist ICE at processing facilities, governor says"
            )

        def typo() -> None:
            self.paragraphs[2] = self.paragraphs[2].replace("deployment", "deploymnet")

        def more() -> None:
            self.paragraphs[1] = self.paragraphs[1].replace("200", "250")

        return [
            ("a number appears", number),
            ("a sentence is added", add_sentence),
            ("the headline changes", headline),
            ("a typo creeps in", typo),
            ("the number changes 200 -> 250", more),
        ]


def tracker(*args: str) -> int:
    cmd = [sys.executable, "-m", "tracker", "--config", str(DATA / "tracker.toml"), *args]
    print("$ tracker " + " ".join(args), flush=True)
    return subprocess.call(cmd, cwd=ROOT)


def main() -> int:
    DATA.mkdir(exist_ok=True)
    db = DATA / "tracker.db"
    for f in DATA.glob("tracker.db*"):
        f.unlink()
    (
        DATA / "tracker.toml"
    ).write_text(f"""# Demo settings: fast intervals so the demo takes half a minute.
[database]
url = "sqlite:///{db}"
[fetch]
allow_private_addresses = true   # the demo newsroom is on 127.0.0.1
[schedule]
default_interval = "2s"
after_change = "2s"
min_interval = "2s"
max_interval = "3s"
jitter = 0.0
[daemon]
dispatch_every = 0.5
""")
    room = Newsroom()
    print(f"newsroom serving {room.url}", flush=True)
    tracker("init")
    tracker("add", room.url, "--label", "demo", "--interval", "2s")
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker",
            "--config",
            str(DATA / "tracker.toml"),
            "run",
            "--exit-after",
            "30s",
        ],
        cwd=ROOT,
    )
    for what, edit in room.edits():
        time.sleep(5)
        print(f"newsroom: {what}", flush=True)
        edit()
    code = daemon.wait()
    print(flush=True)
    tracker("history", room.url)
    tracker("diff", room.url, "--from", "1")
    tracker("diff", room.url, "--format", "summary")
    return code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
