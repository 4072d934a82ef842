"""Notifications: rules pick channels for a change; the outbox delivers them.

    rules.py     which channels want a change (pure; the pipeline calls it in its transaction)
    messages.py  change -> Message (title, body, payload) via Jinja2 templates (templates/)
    escaping.py  page text made inert for Markdown targets; safe links
    payload.py   the webhook JSON payload (documented there)
    channels.py  webhook, apprise, command: a registry of senders
    timing.py    retry backoff and quiet hours (pure)
    outbox.py    deliver: one delivery pass
    digest.py    send_digest, digest_triggers: cron-scheduled digests
    sample.py    send_sample: a made-up change for ``tracker notify test``

The outbox's SQL (leases, outcomes, counts, digest rows) lives in ``tracker.store.outbox``;
these loops take a ``Store`` and the settings, and run its queries through ``store.read`` /
``store.write``. See docs/notifications.md for the user's view: channels, rules, templates
and the payload.
"""

from tracker.notify.digest import (
    DigestResult,
    digest_triggers,
    send_digest,
    validate_channels,
)
from tracker.notify.outbox import DeliveryStats, deliver

__all__ = [
    "DeliveryStats",
    "DigestResult",
    "deliver",
    "digest_triggers",
    "send_digest",
    "validate_channels",
]
