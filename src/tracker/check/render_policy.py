"""When a check renders its page in Chromium, and how a rendered check is put together.

The mode is the story's own ``--render`` or ``[fetch] render``:

- ``never``: the static check, as it always was.
- ``always``: fetch statically (the response is kept as served), render it, extract from
  the rendered DOM. No browser: the check fails with ``render_unavailable``.
- ``auto``: the static check first; render only when the static page yields no article, or
  one far shorter than the text its embedded data carries (a JSON-LD ``articleBody``, or
  ``__NEXT_DATA__`` hydration data). A 304, identical bytes or an unchanged fingerprint
  never render, so static pages never start a browser. A host whose pages needed rendering
  is remembered (in this process) and rendered straight away, with a static try every
  ``render_static_retry`` checks. No browser: the static result stands, with one warning per
  host and a ``render_unavailable`` note on the check.

A rendered check keeps the static response as ``result`` (stored as the raw snapshot) and
the rendered DOM as ``rendered`` (stored beside it); its raw hash and fingerprint are the
rendered DOM's, and it keeps no validators, so the next check is never a 304 of the shell.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from tracker.browser import Rendered, Renderer, RenderUnavailable
from tracker.check.verdict import Fetched
from tracker.config import FetchSettings
from tracker.errors import FetchError, NotArticle
from tracker.extract import sniff_binary
from tracker.records import FetchResult
from tracker.store.rows import CheckState

log = logging.getLogger("tracker.check")

THIN_RATIO = 2.0  # embedded text this many times the extracted text: render
THIN_MIN_CHARS = 400  # ... and at least this many characters more
SHORT_CHARS = 200  # a static "article" shorter than this on a page with scripts: render
PROSE_MIN_CHARS = 40  # a hydration string shorter than this is a label, not prose
_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_SCRIPT_TAG = re.compile(rb"<script\b", re.I)

FetchPage = Callable[[CheckState, bool], Awaitable[FetchResult]]
Extract = Callable[[CheckState, FetchResult], Awaitable[Fetched]]


# ---------------------------------------------------------------- what a static page promises


def embedded_text_chars(body: bytes) -> int:
    """Characters of article text the page's scripts carry: the longest JSON-LD
    ``articleBody``, or the prose in ``__NEXT_DATA__``-style hydration data; 0 when none."""
    if b"articleBody" not in body and b"__NEXT_DATA__" not in body:
        return 0  # the common case costs two byte searches
    best = 0
    for attrs, content in _SCRIPT.findall(body):
        attrs_l = attrs.lower()
        if b"application/ld+json" in attrs_l:
            best = max(best, _json_chars(content, _article_body_chars))
        elif b"__next_data__" in attrs_l:
            best = max(best, _json_chars(content, _prose_chars))
    return best


def _json_chars(content: bytes, measure: Callable[[object], int]) -> int:
    try:
        data = json.loads(content.decode("utf-8", "replace"))
    except ValueError:
        return 0
    return measure(data)


def _article_body_chars(data: object) -> int:
    best = 0
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            body = node.get("articleBody")
            if isinstance(body, str):
                best = max(best, len(_TAG.sub(" ", body).strip()))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return best


def _prose_chars(data: object) -> int:
    total = 0
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and len(node) >= PROSE_MIN_CHARS and " " in node:
            total += len(_TAG.sub(" ", node).strip())
    return total


def has_scripts(result: FetchResult) -> bool:
    """A text page with a script: only such a page can build its article in the browser."""
    return sniff_binary(result.body, result.charset) is None and bool(
        _SCRIPT_TAG.search(result.body)
    )


def thin_reason(body: bytes, text_chars: int) -> str | None:
    """Why a static article looks too short for its page (None: it does not): a few words
    on a page with scripts (a "Loading…" shell), or far less than its embedded data."""
    if text_chars < SHORT_CHARS and _SCRIPT_TAG.search(body):
        return f"the static article has only {text_chars} characters"
    embedded = embedded_text_chars(body)
    if embedded >= THIN_RATIO * text_chars and embedded - text_chars >= THIN_MIN_CHARS:
        return f"the static article has {text_chars} characters, its embedded data {embedded}"
    return None


# ---------------------------------------------------------------- per host


@dataclass
class _Host:
    needs: bool = False
    since_static: int = 0
    futile: int = 0  # checks left during which rendering is not tried again (it did not help)


class HostMemory:
    """Which hosts' pages needed rendering (this process), with a static try now and then."""

    def __init__(self, retry_every: int) -> None:
        self.retry_every = max(1, retry_every)
        self._hosts: dict[str, _Host] = {}
        self._warned: set[str] = set()

    def render_first(self, host: str) -> bool:
        """Render straight away (True), or try the static page this time (False)."""
        h = self._hosts.get(host)
        if h is None or not h.needs:
            return False
        h.since_static += 1
        if h.since_static >= self.retry_every:
            h.since_static = 0
            return False
        return True

    def worth_trying(self, host: str) -> bool:
        """False for a while after rendering a host's thin page gave no more text."""
        h = self._hosts.get(host)
        if h is None or h.futile <= 0:
            return True
        h.futile -= 1
        return False

    def futile(self, host: str) -> None:
        h = self._hosts.setdefault(host, _Host())
        h.needs, h.futile = False, self.retry_every

    def learn(self, host: str, needs: bool) -> None:
        h = self._hosts.setdefault(host, _Host())
        if needs and not h.needs:
            log.info("pages of %s need rendering; they are rendered from now on", host)
        h.needs = needs

    def first_warning(self, host: str) -> bool:
        if host in self._warned:
            return False
        self._warned.add(host)
        return True


# ---------------------------------------------------------------- the check


class RenderStep:
    """The check's fetch-and-extract with rendering as the mode wants it. The browser is
    started on the first page that needs it; ``close`` stops it."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self.memory = HostMemory(settings.render_static_retry)
        self._renderer: Renderer | None = None

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            self._renderer = Renderer(self.settings)
        return self._renderer

    @property
    def browser_started(self) -> bool:
        return self._renderer is not None and self._renderer.launches > 0

    def mode(self, st: CheckState) -> str:
        return st.render or self.settings.render

    async def close(self) -> None:
        if self._renderer is not None:
            await self._renderer.close()

    async def check(self, st: CheckState, fetch_page: FetchPage, extract: Extract) -> Fetched:
        mode = self.mode(st)
        if mode == "never":
            return await extract(st, await fetch_page(st, True))
        host = urlsplit(st.url).hostname or ""
        if mode == "always" or self.memory.render_first(host):
            result = await fetch_page(st, False)  # never a 304 of the shell
            try:
                return await self._render(st, result, extract)
            except RenderUnavailable as exc:
                if mode == "always":
                    raise
                fallback = await _static_or_error(st, result, extract)
                return self._unavailable(host, exc, fallback, "the host's pages need rendering")
            except FetchError as exc:
                if mode == "always" or not _render_failure(exc):
                    raise
                fallback = await _static_or_error(st, result, extract)
                return self._failed(host, exc, fallback, "the host's pages need rendering")
        result = await fetch_page(st, True)
        try:
            fetched = await extract(st, result)
        except NotArticle as exc:
            if not has_scripts(result):  # an image, an archive, a page no script can change
                raise
            return await self._or_static(st, result, extract, exc, "no article in the static page")
        if fetched.article is None or fetched.result is None or fetched.result.not_modified:
            return fetched  # unchanged: nothing to render
        reason = thin_reason(result.body, len(fetched.article.text))
        if reason is None:
            self.memory.learn(host, False)
            return fetched
        if not self.memory.worth_trying(host):
            return fetched
        return await self._or_static(st, result, extract, fetched, reason)

    async def _or_static(
        self,
        st: CheckState,
        result: FetchResult,
        extract: Extract,
        static: Fetched | FetchError,
        why: str,
    ) -> Fetched:
        """Rendered; without a browser, or when rendering fails (a page that never settles,
        a crash), the static outcome with a note: auto never loses what the static page had."""
        host = urlsplit(st.url).hostname or ""
        try:
            return await self._render(st, result, extract, static)
        except RenderUnavailable as exc:
            return self._unavailable(host, exc, static, why)
        except FetchError as exc:
            if not _render_failure(exc):
                raise
            return self._failed(host, exc, static, why)

    def _failed(
        self, host: str, exc: FetchError, static: Fetched | FetchError, why: str
    ) -> Fetched:
        """Rendering failed in auto mode: the static article with the failure as a note, and
        the host is not rendered again for a while (each failure can cost a whole deadline)."""
        self.memory.futile(host)
        if isinstance(static, FetchError):
            raise exc  # no static article to keep: the check fails with the render reason
        log.info("rendering %s failed (%s): the static page is kept", host, exc.reason)
        return replace(static, note=(exc.kind, f"{why}; {exc.reason}; the static page is kept"))

    def _learn(
        self, st: CheckState, static: Fetched | FetchError | None, rendered: Fetched
    ) -> None:
        """Rendering helped (the host needs it) unless the static text was as long."""
        host = urlsplit(st.url).hostname or ""
        before = static.article if isinstance(static, Fetched) else None
        after = rendered.article
        if before is not None and after is not None and len(after.text) <= len(before.text):
            self.memory.futile(host)
            return
        self.memory.learn(host, True)

    async def _render(
        self,
        st: CheckState,
        result: FetchResult,
        extract: Extract,
        static: Fetched | FetchError | None = None,
    ) -> Fetched:
        """Render ``result``'s page and extract from the DOM (RenderUnavailable: no browser)."""
        rendered = await self.renderer.render(result)
        dom = replace(result, body=rendered.html, etag=None, last_modified=None)
        try:
            fetched = await extract(st, dom)
        except FetchError as exc:
            if rendered.blocked:
                exc.reason = f"{exc.reason} (rendered; refused: {'; '.join(rendered.blocked)})"
                exc.args = (exc.reason,)
            raise
        if self.mode(st) == "auto":
            self._learn(st, static, fetched)
        # The check's time covers the rendering too.
        kept = replace(
            result,
            etag=None,
            last_modified=None,
            elapsed_ms=result.elapsed_ms + rendered.elapsed_ms,
        )
        return replace(fetched, result=kept, rendered=rendered.html, note=_note(rendered))

    def _unavailable(
        self, host: str, exc: RenderUnavailable, static: Fetched | FetchError, why: str
    ) -> Fetched:
        if self.memory.first_warning(host):
            log.warning("cannot render pages of %s (%s): checking them statically", host, exc)
        if isinstance(static, FetchError):
            raise RenderUnavailable(f"{why}, and rendering is unavailable: {exc.reason}")
        return replace(static, note=("render_unavailable", f"{why}: {exc.reason}"))


# What the browser's own failures are called; a fetch error of the page itself is not one.
RENDER_FAILURES = frozenset({"render_timeout", "render_crashed", "render_failed", "too_large"})


def _render_failure(exc: FetchError) -> bool:
    return exc.kind in RENDER_FAILURES


async def _static_or_error(
    st: CheckState, result: FetchResult, extract: Extract
) -> Fetched | FetchError:
    """The static outcome, to fall back on when no browser can render."""
    try:
        return await extract(st, result)
    except NotArticle as exc:
        return exc


def _note(rendered: Rendered) -> tuple[str, str] | None:
    if not rendered.blocked:
        return None
    return "render_blocked", f"rendered; refused: {'; '.join(rendered.blocked)}"
