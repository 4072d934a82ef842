"""Channel kinds: how a rendered ``Message`` reaches a service. A dict registry + a decorator.

Each sender takes the channel's settings and a message and returns a ``Delivery``: did it
arrive, what the service answered, whether to retry later and when. Senders never raise for
a failed delivery; only programming errors escape.

- ``webhook``: POST the JSON payload, signed; 2xx = delivered, anything else = retry.
- ``apprise``: any Apprise URL (mailto://, slack://, ntfy://, matrix://...): title + body.
- ``command``: run argv with the JSON payload on stdin; exit code 0 = delivered.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import logging
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape as html_escape

import httpx

from tracker.config import ChannelSettings
from tracker.errors import ConfigError
from tracker.fetch import tls_context
from tracker.notify.escaping import md_escape
from tracker.notify.messages import Message
from tracker.timeparse import retry_after_seconds, utcnow
from tracker.vocab import ChannelKind

SNIPPET = 500  # characters of a response body kept in the outbox row
USER_AGENT = "tracker-notify/0.1"


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one attempt. ``response`` is what the service said, for people."""

    ok: bool
    response: str = ""
    error: str | None = None
    retry_after: float | None = None  # seconds, from a Retry-After header
    permanent: bool = False  # retrying cannot help (e.g. an unknown Apprise URL)


Sender = Callable[[ChannelSettings, Message], Delivery]
SENDERS: dict[ChannelKind, Sender] = {}  # keyed by tracker.vocab.CHANNEL_KINDS (a test checks both)


def channel_kind(kind: ChannelKind) -> Callable[[Sender], Sender]:
    """Register a sender for ``kind = "..."`` in a [[channels]] table (one of the vocabulary's
    ``CHANNEL_KINDS``: the config accepts no other)."""

    def register(fn: Sender) -> Sender:
        SENDERS[kind] = fn
        return fn

    return register


def send(channel: ChannelSettings, message: Message) -> Delivery:
    sender = SENDERS.get(channel.kind)
    if sender is None:
        return Delivery(False, error=f"unknown channel kind {channel.kind!r}", permanent=True)
    try:
        ready = channel.resolved()  # ${NAME} secrets are read now, not when the file was
    except ConfigError as exc:  # retried: the operator may set it and restart
        return Delivery(False, error=exc.problem)
    return sender(ready, message)


def payload_bytes(message: Message) -> bytes:
    return json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the channel's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _snippet(text: str) -> str:
    text = text.strip()
    return text if len(text) <= SNIPPET else text[:SNIPPET] + "…"


@channel_kind("webhook")
def send_webhook(channel: ChannelSettings, message: Message) -> Delivery:
    """POST the payload as JSON with ``X-Tracker-Signature``, ``X-Tracker-Idempotency-Key`` and
    ``X-Tracker-Event``. 2xx is delivered; 429, 5xx, timeouts and other 4xx are retried (a
    Retry-After on 429/503 is honoured) until ``max_attempts``."""
    body = payload_bytes(message)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Tracker-Event": message.event,
        "X-Tracker-Idempotency-Key": message.idempotency_key,
    }
    if channel.secret:
        headers["X-Tracker-Signature"] = signature(channel.secret, body)
    try:
        with httpx.Client(
            timeout=channel.timeout, follow_redirects=False, verify=tls_context()
        ) as client:
            r = client.post(channel.url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        return Delivery(False, error=f"timed out after {channel.timeout:g}s ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return Delivery(False, error=f"{type(exc).__name__}: {exc}")
    answer = f"HTTP {r.status_code} {r.reason_phrase}: {_snippet(r.text)}".rstrip(": ")
    if 200 <= r.status_code < 300:
        return Delivery(True, response=answer)
    wait = (
        retry_after_seconds(r.headers.get("retry-after"), utcnow())
        if r.status_code in (429, 503)
        else None
    )
    return Delivery(False, response=answer, error=f"HTTP {r.status_code}", retry_after=wait)


# Apprise logs through one process-wide logger; captures must not interleave.
_APPRISE_LOCK = threading.Lock()


@contextlib.contextmanager
def _apprise_log() -> Iterator[io.StringIO]:
    """Apprise's log lines (DEBUG and up) of one send, kept out of the tracker's own log:
    the outcome is logged once, by the outbox."""
    import apprise
    from apprise.logger import LOGGER_NAME

    logger = logging.getLogger(LOGGER_NAME)
    with _APPRISE_LOCK:
        propagate, logger.propagate = logger.propagate, False
        try:
            with apprise.LogCapture(level=logging.DEBUG, fmt="%(levelname)s - %(message)s") as log:
                yield log
        finally:
            logger.propagate = propagate


_APPRISE_FORMATS = {"text": "text", "markdown": "markdown", "html": "html", "social": "text"}


@channel_kind("apprise")
def send_apprise(channel: ChannelSettings, message: Message) -> Delivery:
    """Title + body in the channel's format to any Apprise URL. Longer than ``max_length`` (or
    the service's own limit): ``split`` into several messages or ``truncate``, never dropped.
    ``response`` holds Apprise's log lines: what the service answered."""
    import apprise

    plugin = apprise.Apprise.instantiate(channel.url)
    if plugin is None:
        return Delivery(
            False, error="not a usable Apprise URL (unknown scheme or bad options)", permanent=True
        )
    plugin.overflow_mode = apprise.common.OverflowMode(channel.overflow)
    if channel.max_length > 0:
        plugin.body_maxlen = min(plugin.body_maxlen, channel.max_length)
    title = message.title
    if plugin.title_maxlen <= 0:
        # The service has no title field: Apprise pastes it into the body unescaped.
        if message.body_format == "html":
            title = html_escape(title)
        elif message.body_format == "markdown":
            title = md_escape(title)
    notifier = apprise.Apprise()
    notifier.add(plugin)
    with _apprise_log() as captured:
        result = notifier.notify(
            body=message.body,
            title=title,
            body_format=_APPRISE_FORMATS[message.body_format],
            timeout=_apprise_timeout(channel, plugin, message),
            attach=_card_attachment(channel, message),
        )
        log = captured.getvalue()
    answer = _apprise_lines(log)
    if result:
        return Delivery(True, response=answer)
    return Delivery(False, response=answer, error=_apprise_error(log))


def _card_attachment(channel: ChannelSettings, message: Message) -> object | None:
    """The diff card as an in-memory Apprise attachment, when the channel attaches cards.

    Apprise has no field for an image description, so the alt text cannot go with the image;
    templates get it as ``card_alt`` (webhooks as ``card.alt``)."""
    if not channel.attach_card or message.card is None or message.card.png is None:
        return None
    from apprise import AppriseAttachment
    from apprise.attachment.memory import AttachMemory

    card = message.card
    memory = AttachMemory(content=card.png, name=card.filename, mimetype="image/png")
    return AppriseAttachment(memory)


def _apprise_timeout(channel: ChannelSettings, plugin: object, message: Message) -> float:
    """``timeout`` per part: a split message is several sends, with Apprise's throttle between."""
    if channel.overflow != "split":
        return channel.timeout
    limit = max(1, int(getattr(plugin, "body_maxlen", 0)) or 1)
    parts = -(-len(message.body) // limit)
    pause = float(getattr(plugin, "request_rate_per_sec", 0.0) or 0.0)
    return parts * channel.timeout + (parts - 1) * pause


def _apprise_lines(log: str) -> str:
    lines = [ln for ln in log.splitlines() if ln.strip()]
    text = "\n".join(lines)
    return text if len(text) <= 4 * SNIPPET else "…" + text[-4 * SNIPPET :]


def _apprise_error(log: str) -> str:
    problems = [ln for ln in log.splitlines() if ln.startswith(("WARNING", "ERROR"))]
    return problems[-1].split(" - ", 1)[-1] if problems else "Apprise reported a failure"


@channel_kind("command")
def send_command(channel: ChannelSettings, message: Message) -> Delivery:
    """Run ``command`` (argv, no shell) with the JSON payload on stdin and ``TRACKER_EVENT``
    and ``TRACKER_IDEMPOTENCY_KEY`` in the environment; exit code 0 is delivered."""
    env = dict(os.environ)
    env.update(TRACKER_EVENT=message.event, TRACKER_IDEMPOTENCY_KEY=message.idempotency_key)
    try:
        proc = subprocess.run(
            channel.command,
            input=payload_bytes(message),
            capture_output=True,
            timeout=channel.timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Delivery(False, error=f"timed out after {channel.timeout:g}s")
    except OSError as exc:
        return Delivery(False, error=f"cannot run {channel.command[0]!r}: {exc.strerror or exc}")
    output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    answer = f"exit {proc.returncode}: {_snippet(output)}".rstrip(": ")
    if proc.returncode == 0:
        return Delivery(True, response=answer)
    return Delivery(False, response=answer, error=f"exit code {proc.returncode}")
