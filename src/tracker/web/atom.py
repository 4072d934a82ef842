"""Atom feeds of changes: all, per label, per story; summary and the escaped diff in each.

Links are absolute under ``[web] base_url`` when it is set, else relative (see :class:`Links`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from lxml import etree

from tracker.config import WebSettings
from tracker.store import queries as q
from tracker.web.params import StoryId
from tracker.web.security import require_read
from tracker.web.state import WebState, get_state

router = APIRouter(dependencies=[Depends(require_read)], tags=["feeds"])
ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


@dataclass(frozen=True, slots=True)
class Links:
    """Where a feed's links point, never built from the request's ``Host`` header (which any
    client chooses, so a spoofed one would end up in feed readers' caches).

    With ``[web] base_url``: absolute URLs under it. Without: links relative to the feed's
    own path, which the document also declares as its ``xml:base``, so a reader resolves them
    against the URL it fetched; ids, which Atom wants absolute, are then ``urn:tracker:...``.
    """

    base: str  # "" when base_url is not set
    feed_path: str  # the request's path, percent-encoded

    @classmethod
    def of(cls, request: Request, web: WebSettings) -> Links:
        return cls(web.base_url.rstrip("/"), quote(request.url.path, safe="/"))

    def href(self, path: str) -> str:
        """A link to ``path`` (absolute, starting with /) on this server."""
        if self.base:
            return self.base + path
        return posixpath.relpath(path, posixpath.dirname(self.feed_path))

    def id(self, path: str) -> str:
        """The permanent id of what is at ``path``: ``/changes/3`` -> ``urn:tracker:changes:3``."""
        return self.base + path if self.base else "urn:tracker" + path.replace("/", ":")


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text  # lxml escapes; XML-illegal control characters are dropped below
    return el


def _clean(text: str) -> str:
    """Drop characters XML 1.0 forbids (fetched text may contain them)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)


def _entry(feed: etree._Element, c: q.ChangeInfo, links: Links) -> None:
    from tracker import render, revision

    a = c.from_version if c.from_version is not None else c.to_version
    link = links.href(f"/stories/{c.story_id}/diff/{a}/{c.to_version}")
    meta = {
        "url": c.url,
        "from": a,
        "to": c.to_version,
        "to_time": c.at.isoformat(),
        "web_url": link,
    }
    report = revision.ChangeReport.from_json(c.report)
    entry = _el(feed, "entry")
    _el(entry, "id", links.id(f"/changes/{c.id}"))
    _el(entry, "title", _clean(f"[{c.change_class}] {c.title or c.url}"))
    _el(entry, "updated", c.at.isoformat())
    _el(entry, "link", rel="alternate", type="text/html", href=link)
    _el(entry, "category", term=c.change_class)
    _el(entry, "summary", _clean(c.summary), type="text")
    # type="html": the fragment travels escaped and every fetched word inside it is escaped
    # again by the renderer, so a reader never meets markup that came from a news page.
    _el(entry, "content", _clean(render.render_html(report, meta)), type="html")


def atom_response(
    request: Request, state: WebState, title: str, rows: list[q.ChangeInfo]
) -> Response:
    links = Links.of(request, state.web)
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    if not links.base:
        feed.set(XML_BASE, links.feed_path)
    _el(feed, "id", links.id(links.feed_path))
    _el(feed, "title", _clean(title))
    updated: datetime = max((c.at for c in rows), default=state.clock())
    _el(feed, "updated", updated.isoformat())
    _el(feed, "link", rel="self", type="application/atom+xml", href=links.href(links.feed_path))
    _el(feed, "link", rel="alternate", type="text/html", href=links.href("/"))
    author = _el(feed, "author")
    _el(author, "name", "tracker")
    _el(feed, "generator", "tracker")
    for c in rows:
        _entry(feed, c, links)
    body = etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return Response(body, media_type=MEDIA_TYPE)


LIMIT = Query(50, ge=1, le=500, description="newest changes in the feed")
ATOM_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/atom+xml": {}}, "description": "an Atom feed"}
}


@router.get("/feeds/changes.atom", response_class=Response, responses=ATOM_DOC)
def all_changes(
    request: Request, limit: int = LIMIT, state: WebState = Depends(get_state)
) -> Response:
    """The newest changes of every story."""
    rows = state.store.read(q.changes, limit=limit)
    return atom_response(request, state, "Tracked stories: all changes", rows)


@router.get("/feeds/labels/{label}.atom", response_class=Response, responses=ATOM_DOC)
def label_changes(
    request: Request, label: str, limit: int = LIMIT, state: WebState = Depends(get_state)
) -> Response:
    """The newest changes of the stories with this label."""
    rows = state.store.read(q.changes, label=label, limit=limit)
    return atom_response(request, state, f"Tracked stories labelled {label}", rows)


@router.get("/stories/{story_id}/changes.atom", response_class=Response, responses=ATOM_DOC)
def story_changes(
    request: Request, story_id: StoryId, limit: int = LIMIT, state: WebState = Depends(get_state)
) -> Response:
    """The newest changes of one story."""
    story = state.store.read(q.story_by_id, story_id)  # NotFound before an empty feed
    rows = state.store.read(q.changes, story_id=story_id, limit=limit)
    return atom_response(request, state, f"Changes to {story.title or story.url}", rows)
