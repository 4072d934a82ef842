"""Alert messages: a change (or a digest of changes) -> title, body and payload, via Jinja2.

Rendering is separate from delivery: channels send the ``Message`` made here. Bodies come
from the package templates ``message.{txt,md,html,social.txt}`` and ``digest.{...}`` (picked
by the channel's ``format``; ``social`` is plain text, one short post per change), or from
the channel's own ``template`` file (a path, relative to the config file). The title (email
subject, chat title) comes from ``title.txt``.

Escaping follows the target: ``html`` (and any ``.html``/``.htm`` template) autoescapes every
field; ``markdown`` escapes every field for Markdown (see ``escaping``); ``text`` leaves text
as it is. The diffs come from ``tracker.render`` (which escapes page text itself) and the
links are http(s) only and percent-encoded, so both go in as they are.

Template fields of a change (``event`` is ``"change"``, or ``"test"`` for ``tracker notify
test``):

==================  ===========================================================================
``event``           ``"change"``, ``"test"``, or ``"digest"`` (a digest, see below)
``channel``         the channel's name
``change_id``       the change's id (0 for a test message)
``idempotency_key`` ``"{change_id}:{channel}"``
``story_id``        the story's id
``title``           the story's headline as last seen (its URL when it has none)
``url``             the story's URL
``labels``          the story's labels (list)
``class``           the change class: cosmetic, minor, substantive or major
``change_class``    the same, for templates that prefer a plain name
``summary``         one line describing the change
``revert_of``       the version this edit went back to, or None
``from_version``    the version number before (None for none), ``to_version`` after
``from_time``       ISO time the older version was first seen; ``to_time`` the newer
``at``              ISO time the change was found
``web_url``         link to the diff in the web UI (None unless ``[web] base_url`` is set)
``headline``        ``[old, new]`` when the headline changed, else None
``title_label``     what leads the title with the channel's ``title_language`` ("Correction",
                    "Headline changed", "Korrektur"...); "" without one (docs/languages.md)
``facts``           the report's facts: headline, byline, lede_changed, numbers_changed,
                    numbers_added, numbers_removed, quotes_added, quotes_removed,
                    quotes_altered, corrections, developing_marker, unpublished, returned
``stats``           the report's statistics
``sentences``       the changed sentence operations: dicts with ``op`` (update, insert,
                    delete, move), ``old``, ``new``, ``old_index``, ``new_index``,
                    ``paragraph``, ``words`` (``[op, text]`` pairs of the word diff)
``diff_text``       the change as a unified diff of sentences (``tracker.render``'s
                    ``render_unified``: ``-`` old, ``+`` new, with context and headers)
``diff_markdown``   the change in Markdown for chat (``render_markdown``: class and summary,
                    headline, a link, ``~~deleted~~ **inserted**`` per changed sentence)
``diff_html``       the change as an inline HTML diff (``render_html``, ``<del>``/``<ins>``),
                    with hidden ``[-old-]{+new+}`` markers and link addresses so the
                    text/plain part an email library derives from it reads right
``archive_url``     the new version's copy at the ``[archive]`` endpoint (None until made)
``card_url``        the change's diff card (PNG) in the web UI (None unless ``[web] base_url``)
``card_alt``        the card's alt text: what changed, in words (at most 1,000 characters)
==================  ===========================================================================

A digest has ``event`` = ``"digest"``, ``channel``, ``idempotency_key``, ``count`` (changes),
``story_count``, ``title`` (e.g. "3 changes in 2 stories") and ``items``: one dict per change
with every field above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, PackageLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from tracker.config import ChannelSettings, Settings
from tracker.lang.titles import title_label
from tracker.notify import payload as payloads
from tracker.notify.card import CardImage, card_for
from tracker.notify.escaping import md_escape, md_finalize, safe_url
from tracker.render import render_html, render_markdown, render_unified
from tracker.store.outbox import ChangeDetail

EXTENSIONS = {"text": "txt", "markdown": "md", "html": "html", "social": "social.txt"}


@dataclass(frozen=True, slots=True)
class Message:
    """What a channel sends: rendered text for people, a payload for machines."""

    event: str
    channel: str
    idempotency_key: str
    title: str
    body: str
    body_format: str  # text | markdown | html
    payload: dict[str, object] = field(default_factory=dict)
    change_ids: tuple[int, ...] = ()
    card: CardImage | None = None  # the diff card: alt text always, PNG when asked for


def config_dir(settings: Settings) -> Path | None:
    """Where relative template paths start: the config file's folder."""
    source = Path(settings.source)
    return source.parent if source.suffix else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def change_context(
    detail: ChangeDetail,
    *,
    channel: str,
    web_base: str = "",
    event: str = "change",
    key: str | None = None,
) -> dict[str, object]:
    """Every documented template field of one change (see the module docstring)."""
    report = detail.report
    facts: Mapping[str, object] = report.get("facts") or {}  # type: ignore[assignment]
    web_url = payloads.web_link(web_base, detail)
    return {
        "event": event,
        "channel": channel,
        "change_id": detail.change_id,
        "idempotency_key": key or payloads.idempotency_key(detail.change_id, channel),
        "story_id": detail.story_id,
        "title": detail.title or detail.url,
        "url": safe_url(detail.url),
        "labels": list(detail.labels),
        "class": detail.change_class,
        "change_class": detail.change_class,
        "summary": detail.summary,
        "revert_of": detail.revert_of,
        "from_version": detail.from_version,
        "to_version": detail.to_version,
        "from_time": _iso(detail.from_time),
        "to_time": _iso(detail.to_time),
        "at": _iso(detail.at),
        "web_url": safe_url(web_url),
        "headline": facts.get("headline") or None,
        "facts": dict(facts),
        "stats": dict(report.get("stats") or {}),  # type: ignore[call-overload]
        "sentences": payloads.changed_sentences(report),
        "archive_url": safe_url(detail.archive_url),
        **_diffs(detail, web_url),
    }


def _diffs(detail: ChangeDetail, web_url: str | None) -> dict[str, object]:
    """The renderers' views of the change; rendering is theirs, sending is the channels'."""
    report, meta = payloads.stored_report(detail, web_url)
    if report is None:
        # A report this version cannot read still makes an alert: the summary says enough.
        return {
            "diff_text": detail.summary,
            "diff_markdown": Markup(md_escape(detail.summary)),
            "diff_html": escape(detail.summary),
        }
    return {
        "diff_text": render_unified(report, meta).rstrip("\n"),
        "diff_markdown": Markup(render_markdown(report, meta).rstrip("\n")),
        "diff_html": Markup(render_html(report, meta, layout="inline", plain_marks=True)),
    }


def digest_context(
    details: Sequence[ChangeDetail], *, channel: str, key: str, web_base: str = ""
) -> dict[str, object]:
    items = [change_context(d, channel=channel, web_base=web_base) for d in details]
    stories = len({d.story_id for d in details})
    noun = "change" if len(details) == 1 else "changes"
    return {
        "event": "digest",
        "channel": channel,
        "idempotency_key": key,
        "count": len(details),
        "story_count": stories,
        "title": f"{len(details)} {noun} in {stories} {'story' if stories == 1 else 'stories'}",
        "items": items,
    }


# ---------------------------------------------------------------- templates


def _environment(loader: PackageLoader | FileSystemLoader, mode: str) -> Environment:
    options: dict[str, object] = {
        "loader": loader,
        "undefined": StrictUndefined,  # a misspelt field in a custom template is an error
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": False,
        "autoescape": mode == "html",
    }
    if mode == "markdown":
        options["finalize"] = md_finalize
    return Environment(**options)  # type: ignore[arg-type]


@lru_cache(maxsize=8)
def _package_env(mode: str) -> Environment:
    return _environment(PackageLoader("tracker.notify", "templates"), mode)


@lru_cache(maxsize=32)
def _file_env(directory: str, mode: str) -> Environment:
    return _environment(FileSystemLoader(directory), mode)


def _body_template(channel: ChannelSettings, kind: str, base_dir: Path | None) -> Template:
    if not channel.template:
        return _package_env(channel.format).get_template(f"{kind}.{EXTENSIONS[channel.format]}")
    path = Path(channel.template).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    # An HTML template always autoescapes, whatever the channel's format says.
    mode = "html" if path.suffix.lower() in (".html", ".htm") else channel.format
    return _file_env(str(path.parent.resolve()), mode).get_template(path.name)


def _title(context: Mapping[str, object]) -> str:
    text = _package_env("text").get_template("title.txt").render(context)
    return " ".join(text.split())


# ---------------------------------------------------------------- messages


def render_change(
    channel: ChannelSettings,
    detail: ChangeDetail,
    *,
    now: datetime,
    web_base: str = "",
    base_dir: Path | None = None,
    event: str = "change",
    key: str | None = None,
) -> Message:
    """One change as this channel's message. Raises jinja2.TemplateError on a bad template.

    ``key`` replaces the idempotency key (test messages must not look like a resend)."""
    context = change_context(detail, channel=channel.name, web_base=web_base, event=event, key=key)
    card = card_for(channel, detail, web_base, payloads.web_link(web_base, detail))
    context.update(card_url=card.url if card else None, card_alt=card.alt if card else "")
    facts: Mapping[str, object] = detail.report.get("facts") or {}  # type: ignore[assignment]
    context["title_label"] = title_label(channel.title_language, detail.change_class, facts)
    body = _body_template(channel, "message", base_dir).render(context)
    data = payloads.change_payload(
        detail, channel=channel.name, web_base=web_base, event=event, sent_at=now, key=key
    )
    data["card"] = card.to_json(channel.embed_card) if card else None
    return Message(
        event=event,
        channel=channel.name,
        idempotency_key=str(context["idempotency_key"]),
        title=_title(context),
        body=body.strip() + "\n",
        body_format=channel.format,
        payload=data,
        change_ids=(detail.change_id,),
        card=card,
    )


def render_digest(
    channel: ChannelSettings,
    details: Sequence[ChangeDetail],
    *,
    key: str,
    now: datetime,
    web_base: str = "",
    base_dir: Path | None = None,
) -> Message:
    """Several changes as one message (a digest)."""
    context = digest_context(details, channel=channel.name, key=key, web_base=web_base)
    body = _body_template(channel, "digest", base_dir).render(context)
    data = payloads.digest_payload(
        details, channel=channel.name, key=key, web_base=web_base, sent_at=now
    )
    return Message(
        event="digest",
        channel=channel.name,
        idempotency_key=key,
        title=_title(context),
        body=body.strip() + "\n",
        body_format=channel.format,
        payload=data,
        change_ids=tuple(d.change_id for d in details),
    )
