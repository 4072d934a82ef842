"""The diff card for a channel's message: its URL, alt text and (when asked) PNG bytes.

``attach_card`` sends the PNG as an attachment (Apprise), ``embed_card`` puts it base64 in the
webhook/command payload; every message offers ``card_url`` and ``card_alt`` to templates, and
the payload carries ``card: {url, alt}``. A card that cannot be drawn (an unreadable stored
report, a broken font) never stops the alert: the message goes without it, and the log says so.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from tracker.config import ChannelSettings
from tracker.notify.payload import stored_report
from tracker.store.outbox import ChangeDetail

log = logging.getLogger("tracker.notify")


@dataclass(frozen=True, slots=True)
class CardImage:
    """A change's card as a channel carries it; ``png`` only when the channel asked for it."""

    url: str | None
    alt: str
    png: bytes | None = None

    @property
    def filename(self) -> str:
        return "change-card.png"

    def to_json(self, embed: bool) -> dict[str, object]:
        """The payload's ``card``: ``{url, alt}``, and ``png_base64`` when embedded."""
        out: dict[str, object] = {"url": self.url, "alt": self.alt}
        if embed and self.png is not None:
            out["png_base64"] = base64.b64encode(self.png).decode("ascii")
        return out


def card_link(web_base: str, detail: ChangeDetail) -> str | None:
    """The web UI's PNG of this change, when a base URL is set (the web app's route)."""
    if not web_base or detail.from_version is None:
        return None
    base = web_base.rstrip("/")
    return f"{base}/stories/{detail.story_id}/diff/{detail.from_version}/{detail.to_version}.png"


def card_for(
    channel: ChannelSettings, detail: ChangeDetail, web_base: str, web_url: str | None
) -> CardImage | None:
    """The card of a change for this channel; None when its stored report cannot be read."""
    from tracker.cards import alt_text, render_card

    report, meta = stored_report(detail, web_url)
    if report is None:
        return None
    url = card_link(web_base, detail)
    if not (channel.attach_card or channel.embed_card):
        return CardImage(url, alt_text(report, meta))
    try:
        card = render_card(report, meta)
    except Exception:  # drawing is best effort: the alert matters more than its picture
        log.exception("cannot draw the card of change %s for %s", detail.change_id, channel.name)
        return CardImage(url, alt_text(report, meta))
    return CardImage(url, card.alt, card.png)
