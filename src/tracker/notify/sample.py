"""A synthetic change for ``tracker notify test``: two versions of a made-up developing story,
compared by the real change analysis, so a test message looks exactly like a real alert."""

from __future__ import annotations

from datetime import datetime, timedelta

from jinja2 import TemplateError

from tracker.config import Settings
from tracker.errors import NotFound
from tracker.notify import channels, messages
from tracker.records import Article
from tracker.store.outbox import ChangeDetail

SAMPLE_URL = "https://example.org/news/river-flood-warning"

_OLD = Article(
    title="Flood warnings issued as river keeps rising",
    byline="By A. Reporter",
    published="2026-01-01T08:00:00Z",
    modified=None,
    paragraphs=(
        "Flood warnings were issued for 12 towns along the river on Thursday morning.",
        "Officials said the water level had risen by 40 centimetres overnight.",
        "Residents were told to move valuables upstairs.",
        "This is a developing story and will be updated.",
    ),
    developing=True,
)
_NEW = Article(
    title="Flood warnings extended to 15 towns as river keeps rising",
    byline="By A. Reporter",
    published="2026-01-01T08:00:00Z",
    modified="2026-01-01T09:30:00Z",
    paragraphs=(
        "Flood warnings were issued for 15 towns along the river on Thursday morning.",
        "Officials said the water level had risen by 55 centimetres overnight.",
        '"We expect the peak this evening," the regional water authority said.',
        "This is a developing story and will be updated.",
    ),
    developing=True,
)


def sample_change(now: datetime) -> ChangeDetail:
    """Version 1 -> 2 of the sample story, analysed as the pipeline would."""
    from tracker import revision

    report = revision.analyze(_OLD, _NEW)
    return ChangeDetail(
        change_id=0,
        story_id=0,
        url=SAMPLE_URL,
        title=_NEW.title,
        labels=("sample",),
        from_version=1,
        to_version=2,
        from_time=now - timedelta(minutes=30),
        to_time=now,
        at=now,
        change_class=report.change_class,
        summary=report.summary,
        revert_of=None,
        report=report.to_json(),
    )


def send_sample(settings: Settings, channel_name: str, *, now: datetime) -> channels.Delivery:
    """Render the sample change for this channel and send it; nothing touches the outbox."""
    channel = next((c for c in settings.channels if c.name == channel_name), None)
    if channel is None:
        known = ", ".join(c.name for c in settings.channels) or "none configured"
        raise NotFound(f"no channel named {channel_name!r} (channels: {known})")
    try:
        # No web_base: the sample story is not in the store, a link to it would lead nowhere.
        message = messages.render_change(
            channel,
            sample_change(now),
            now=now,
            base_dir=messages.config_dir(settings),
            event="test",
            key=f"test-{now.strftime('%Y%m%dT%H%M%S%f')}:{channel.name}",
        )
    except (TemplateError, OSError) as exc:
        return channels.Delivery(False, error=f"template: {type(exc).__name__}: {exc}")
    return channels.send(channel, message)
