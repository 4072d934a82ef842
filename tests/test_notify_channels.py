"""Channels against real local parts: a webhook receiver that checks signatures and dedups on
the idempotency key, an SMTP server (aiosmtpd) behind an Apprise mailto:// URL, a command.

``HookReceiver`` and ``SmtpSink`` are used by the other notification tests too."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message as EmailMessage
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tracker.config import ChannelSettings
from tracker.notify import channels
from tracker.notify.messages import Message

SECRET = "s3cret-key"


# ---------------------------------------------------------------- real local receivers


@dataclass
class HookReceiver:
    """A webhook receiver on 127.0.0.1: verifies X-Tracker-Signature, answers ``fail_status``
    to the first ``fail_first`` requests, dedups on X-Tracker-Idempotency-Key."""

    secret: str = SECRET
    fail_first: int = 0
    fail_status: int = 503
    retry_after: str | None = None
    delay: float = 0.0
    requests: int = 0
    bad_signatures: int = 0
    duplicates: int = 0
    unique: dict[str, dict] = field(default_factory=dict)
    headers: list[dict[str, str]] = field(default_factory=list)
    received_at: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> HookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer, extra = receiver.handle(body, dict(self.headers.items()))
                data = answer.encode()
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, body: bytes, headers: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        if self.delay:
            time.sleep(self.delay)
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        with self.lock:
            self.requests += 1
            self.headers.append(headers)
            if not hmac.compare_digest(headers.get("X-Tracker-Signature", ""), expected):
                self.bad_signatures += 1
                return 401, "bad signature", {}
            if self.fail_first > 0:
                self.fail_first -= 1
                extra = {"Retry-After": self.retry_after} if self.retry_after else {}
                return self.fail_status, "try again later", extra
            key = headers["X-Tracker-Idempotency-Key"]
            if key in self.unique:
                self.duplicates += 1
                return 200, "duplicate, ignored", {}
            self.unique[key] = json.loads(body)
            self.received_at[key] = time.monotonic()
            return 200, "accepted", {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                sink.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK queued"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def url(self, **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"mailto://127.0.0.1:{self.port}?from=alerts@example.org&to=desk@example.org" + (
            f"&{query}" if query else ""
        )

    def bodies(self, subtype: str = "plain") -> list[str]:
        out = []
        for msg in self.messages:
            for part in msg.walk():
                if part.get_content_type() == f"text/{subtype}":
                    out.append(part.get_payload(decode=True).decode())
        return out


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    r = HookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    s = SmtpSink()
    s.controller.start()
    yield s
    s.controller.stop()


def message(body: str = "The toll rose to **15**.", fmt: str = "markdown") -> Message:
    return Message(
        event="change",
        channel="c",
        idempotency_key="42:c",
        title="Substantive change: Quake",
        body=body,
        body_format=fmt,
        payload={"event": "change", "change_id": 42, "x": "ü"},
    )


def webhook(url: str, **kw: object) -> ChannelSettings:
    kw.setdefault("secret", SECRET)
    kw.setdefault("timeout", 2.0)
    return ChannelSettings(name="c", kind="webhook", url=url, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- webhook


def test_webhook_signs_the_exact_body(hook: HookReceiver) -> None:
    result = channels.send(webhook(hook.url), message())
    assert result.ok and result.response == "HTTP 200 OK: accepted"
    assert hook.bad_signatures == 0 and hook.unique["42:c"]["x"] == "ü"
    h = hook.headers[0]
    assert h["X-Tracker-Event"] == "change" and h["Content-Type"] == "application/json"
    assert h["X-Tracker-Idempotency-Key"] == "42:c"


def test_webhook_with_the_wrong_secret_is_not_delivered(hook: HookReceiver) -> None:
    result = channels.send(webhook(hook.url, secret="wrong"), message())
    assert not result.ok and not result.permanent
    assert result.error == "HTTP 401" and "bad signature" in result.response
    assert hook.bad_signatures == 1


def test_webhook_retry_after_seconds_and_dates(hook: HookReceiver) -> None:
    hook.fail_first, hook.fail_status, hook.retry_after = 1, 429, "120"
    result = channels.send(webhook(hook.url), message())
    assert not result.ok and result.retry_after == 120.0 and result.error == "HTTP 429"
    when = datetime.now(UTC) + timedelta(seconds=300)
    hook.fail_first, hook.fail_status, hook.retry_after = 1, 503, format_datetime(when, usegmt=True)
    result = channels.send(webhook(hook.url), message())
    assert result.retry_after is not None and 290 <= result.retry_after <= 301


def test_retry_after_is_ignored_on_other_errors(hook: HookReceiver) -> None:
    hook.fail_first, hook.fail_status, hook.retry_after = 1, 500, "999"
    result = channels.send(webhook(hook.url), message())
    assert not result.ok and result.retry_after is None and "HTTP 500" in result.response


def test_webhook_timeout_is_a_retryable_failure(hook: HookReceiver) -> None:
    hook.delay = 1.0
    result = channels.send(webhook(hook.url, timeout=0.2), message())
    assert not result.ok and not result.permanent and "timed out" in (result.error or "")


def test_webhook_connection_refused() -> None:
    result = channels.send(webhook(f"http://127.0.0.1:{free_port()}/"), message())
    assert not result.ok and "ConnectError" in (result.error or "")


# ---------------------------------------------------------------- apprise (real SMTP)


def test_apprise_email_through_a_real_smtp_server(smtp: SmtpSink) -> None:
    ch = ChannelSettings(name="mail", kind="apprise", url=smtp.url(), timeout=5.0)
    body = "- **Changed:** The toll rose to ~~12~~ **15** &lt;script&gt;x&lt;/script&gt;"
    result = channels.send(ch, message(body))
    assert result.ok, result.error
    assert "Sent Email to desk@example.org" in result.response  # Apprise's own log line
    [mail] = smtp.messages
    assert mail["Subject"] == "Substantive change: Quake"
    html = smtp.bodies("html")[0]
    assert "<strong>15</strong>" in html and "<script>" not in html


def test_apprise_failure_reports_what_happened() -> None:
    url = f"mailto://127.0.0.1:{free_port()}?from=a@example.org&to=b@example.org"
    ch = ChannelSettings(name="mail", kind="apprise", url=url, timeout=3.0)
    result = channels.send(ch, message())
    assert not result.ok and not result.permanent
    assert "Connection error" in (result.error or "")
    assert "Connection refused" in result.response


def test_unusable_apprise_url_fails_for_good() -> None:
    ch = ChannelSettings(name="x", kind="apprise", url="nosuchservice://foo")
    result = channels.send(ch, message())
    assert not result.ok and result.permanent


LONG = "\n".join(f"Sentence number {i} of a long diff, with some words." for i in range(14))


def test_overflow_truncate_sends_one_shortened_message(smtp: SmtpSink) -> None:
    ch = ChannelSettings(
        name="m",
        kind="apprise",
        url=smtp.url(),
        format="text",
        max_length=400,
        overflow="truncate",
        timeout=5.0,
    )
    assert channels.send(ch, message(LONG, fmt="text")).ok
    [body] = smtp.bodies()
    body = body.replace("\r\n", "\n").strip()  # SMTP line endings
    assert body.startswith("Sentence number 0") and len(body) <= 400
    assert "number 13" not in body


@pytest.mark.slow
def test_overflow_split_sends_everything_in_parts(smtp: SmtpSink) -> None:
    # Apprise pauses between the parts (its rate limit for email): a few seconds.
    ch = ChannelSettings(
        name="m",
        kind="apprise",
        url=smtp.url(),
        format="text",
        max_length=400,
        overflow="split",
        timeout=5.0,
    )
    result = channels.send(ch, message(LONG, fmt="text"))
    assert result.ok, result.response
    bodies = [b.replace("\r\n", "\n").strip() for b in smtp.bodies()]
    assert len(bodies) == 2 and all(len(b) <= 400 for b in bodies)
    joined = " ".join(" ".join(bodies).split())
    assert all(f"Sentence number {i} " in joined for i in range(14))  # nothing dropped


# ---------------------------------------------------------------- command


def test_command_gets_the_payload_on_stdin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "got.json"
    script = (
        "import os, sys, pathlib; data = sys.stdin.read(); "
        f"pathlib.Path({str(out)!r}).write_text(os.environ['TRACKER_IDEMPOTENCY_KEY'] + data); "
        "print('stored')"
    )
    ch = ChannelSettings(name="c", kind="command", command=[sys.executable, "-c", script])
    result = channels.send(ch, message())
    assert result.ok and result.response == "exit 0: stored"
    text = out.read_text()
    assert text.startswith("42:c") and json.loads(text[4:])["change_id"] == 42


def test_command_failures() -> None:
    fail = ChannelSettings(
        name="c", kind="command", command=[sys.executable, "-c", "import sys; sys.exit('no disk')"]
    )
    result = channels.send(fail, message())
    assert not result.ok and result.error == "exit code 1" and "no disk" in result.response
    slow = ChannelSettings(
        name="c",
        kind="command",
        timeout=0.3,
        command=[sys.executable, "-c", "import time; time.sleep(5)"],
    )
    assert "timed out" in (channels.send(slow, message()).error or "")
    missing = ChannelSettings(name="c", kind="command", command=["/nonexistent/notifier"])
    assert "cannot run" in (channels.send(missing, message()).error or "")


def test_registry_is_a_plain_dict() -> None:
    assert set(channels.SENDERS) >= {"webhook", "apprise", "command"}
    unknown = ChannelSettings(name="c", kind="pigeon")
    assert channels.send(unknown, message()).permanent
