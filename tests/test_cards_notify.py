"""The card in channels, end to end: real checks write the outbox, delivery goes to an SMTP
server (aiosmtpd, via Apprise) that receives the PNG attachment, and to a webhook receiver
whose payload carries ``card``; the ``social`` format; ``min_interval`` pacing a burst."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from PIL import Image

from tests.servers import LocalServer
from tests.test_notify_channels import SECRET, HookReceiver, SmtpSink
from tests.test_notify_pipeline import PARAS, deliver_now, edit, follow
from tracker.config import ChannelSettings
from tracker.notify import deliver
from tracker.service import Tracker


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


def headline_change(tracker: Tracker, server: LocalServer, path: str = "/storm") -> int:
    sid = follow(tracker, server, path, "Storm hits coast", PARAS)
    new = [PARAS[0], PARAS[1].replace("12,000", "48,000"), *PARAS[2:]]
    edit(tracker, server, sid, path, "Storm batters coast, thousands without power", new)
    return sid


def test_email_channel_gets_the_card_attached(
    tracker: Tracker, server: LocalServer, smtp: SmtpSink
) -> None:
    tracker.settings.channels = [
        ChannelSettings(name="mail", kind="apprise", url=smtp.url(), attach_card=True, timeout=10)
    ]
    headline_change(tracker, server)
    assert deliver_now(tracker).delivered == 1
    [mail] = smtp.messages
    [png] = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    image = Image.open(io.BytesIO(png.get_payload(decode=True)))
    assert image.format == "PNG" and image.size[0] == 1200 and image.size[1] <= 1500


def test_email_without_attach_card_has_no_image(
    tracker: Tracker, server: LocalServer, smtp: SmtpSink
) -> None:
    tracker.settings.channels = [
        ChannelSettings(name="mail", kind="apprise", url=smtp.url(), timeout=10)
    ]
    headline_change(tracker, server)
    assert deliver_now(tracker).delivered == 1
    assert not [p for p in smtp.messages[0].walk() if p.get_content_maintype() == "image"]


def test_webhook_payload_carries_the_card(
    tracker: Tracker, server: LocalServer, hook: HookReceiver
) -> None:
    tracker.settings.web.base_url = "https://desk.example.org"
    tracker.settings.channels = [
        ChannelSettings(name="plain", kind="webhook", url=hook.url, secret=SECRET),
        ChannelSettings(name="embed", kind="webhook", url=hook.url, secret=SECRET, embed_card=True),
    ]
    sid = headline_change(tracker, server)
    assert deliver_now(tracker).delivered == 2
    plain, embed = hook.unique["1:plain"]["card"], hook.unique["1:embed"]["card"]
    assert plain["url"] == f"https://desk.example.org/stories/{sid}/diff/1/2.png"
    assert "Headline changed from 'Storm hits coast'" in plain["alt"]
    assert "12,000 homes became 48,000 homes." in plain["alt"] and len(plain["alt"]) <= 1000
    assert "png_base64" not in plain
    assert Image.open(io.BytesIO(base64.b64decode(embed["png_base64"]))).format == "PNG"


def test_social_format_is_one_short_post(
    tracker: Tracker, server: LocalServer, smtp: SmtpSink
) -> None:
    tracker.settings.web.base_url = "https://desk.example.org"
    tracker.settings.channels = [
        ChannelSettings(name="toot", kind="apprise", url=smtp.url(), format="social", timeout=10)
    ]
    sid = headline_change(tracker, server)
    assert deliver_now(tracker).delivered == 1
    [body] = smtp.bodies("plain")
    lines = body.strip().splitlines()
    assert (
        lines[0]
        == "Headline changed: “Storm hits coast” → “Storm batters coast, thousands without power”"
    )
    assert (
        lines[1].startswith(("Major change", "Substantive change")) and "version 1 → 2" in lines[1]
    )
    assert lines[2] == f"https://desk.example.org/stories/{sid}/diff/1/2"
    assert len(body) < 500


def test_min_interval_paces_a_burst(
    tracker: Tracker, server: LocalServer, hook: HookReceiver
) -> None:
    tracker.settings.channels = [
        ChannelSettings(name="desk", kind="webhook", url=hook.url, secret=SECRET, min_interval=600)
    ]
    for n in range(3):
        headline_change(tracker, server, f"/storm{n}")
    now = tracker.clock()
    first = deliver(tracker.store, tracker.settings, owner="t", now=now)
    assert (first.delivered, first.postponed) == (1, 2)
    again = deliver(tracker.store, tracker.settings, owner="t", now=now + timedelta(minutes=5))
    assert again.delivered == 0 and len(hook.unique) == 1
    later = deliver(tracker.store, tracker.settings, owner="t", now=now + timedelta(minutes=11))
    assert later.delivered == 1 and len(hook.unique) == 2
    assert all(h["X-Tracker-Event"] == "change" for h in hook.headers)
