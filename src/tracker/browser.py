"""Rendering pages in Chromium (Playwright), as safely as the static fetch reads them.

- One browser per ``Renderer`` (one per process: the check runner's), launched on the first
  page that needs it, never at import or construction. A bounded pool of contexts
  (``[fetch] render_concurrency``); each rendering gets a fresh context, closed after it.
- The page's own document is not fetched again: the navigation is answered with the static
  response the check already has (it passed the address guard, the caps, the redirects).
- Every other request the page makes is intercepted and fetched here, through the static
  fetch's address guard (``httpx_guard.guarded_transport``: resolve once, refuse private answers,
  connect to the checked address) and scheme allow-list (http, https). Redirects go back to
  the browser as redirects, so each hop is intercepted again. WebSockets are refused, service
  workers blocked, downloads refused, pop-ups closed, no permission granted. Images, fonts and
  media are refused unless ``render_allow_media``. Chromium is also pointed at a proxy that
  does not exist, loopback included, so a request that escaped interception goes nowhere.
- Limits: ``render_timeout`` covers navigation, scripts and settling (an endless script or a
  page that never settles is a ``render_timeout``); ``render_max_bytes`` caps everything the
  page fetches; the browser is restarted when its processes exceed ``render_memory_mb`` or
  when it crashes (a check in flight then fails with ``render_crashed``).
- No Playwright or no Chromium: ``RenderUnavailable`` (kind ``render_unavailable``), and the
  launch is not tried again for ``RELAUNCH_AFTER_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tracker.config import FetchSettings
from tracker.errors import AddressRefused, FetchError, TooLarge
from tracker.records import FetchResult

if TYPE_CHECKING:
    import httpx
    from playwright.async_api import Browser, Page, Playwright, Request, Route

log = logging.getLogger("tracker.browser")

RELAUNCH_AFTER_S = 600.0  # after a failed launch, rendering is unavailable this long
CLOSE_TIMEOUT_S = 5.0  # a context that will not close in this long means a sick browser
SETTLE_SHARE = 0.5  # at most this share of the deadline is spent waiting for the network
MEDIA_TYPES = frozenset({"image", "font", "media"})
SCHEMES = frozenset({"http", "https"})
DROPPED_REQUEST_HEADERS = frozenset(
    {"host", "content-length", "accept-encoding", "connection", "cookie"}
)
DROPPED_RESPONSE_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection"}
)
LAUNCH_ARGS = (
    "--headless",
    "--disable-gpu",
    "--no-sandbox",  # the daemon often runs as a service user in a container without userns
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--mute-audio",
    # Nothing leaves the browser by itself: a request interception missed goes to a dead proxy.
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)


class RenderUnavailable(FetchError):
    """No Playwright, or no Chromium to launch."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, kind="render_unavailable")


@dataclass(frozen=True, slots=True)
class Rendered:
    """The DOM Chromium built from a page, and what the page asked for on the way."""

    html: bytes  # the serialised DOM, UTF-8
    final_url: str
    requests: int  # requests the page made (the document's not counted)
    bytes_fetched: int
    elapsed_ms: float
    blocked: tuple[str, ...] = ()  # why requests were refused (address guard, scheme)


@dataclass
class _Budget:
    """One rendering's running totals, shared by its request handlers."""

    cap: int
    used: int = 0
    requests: int = 0
    blocked: list[str] = field(default_factory=list)
    over: bool = False

    def refuse(self, reason: str) -> None:
        if len(self.blocked) < 20:
            self.blocked.append(reason)


def chromium_executable(settings: FetchSettings) -> str | None:
    """``chromium_path``, else a Chromium on PATH, else None (Playwright's own browser)."""
    if settings.chromium_path:
        return settings.chromium_path
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Renderer:
    """Renders pages in one lazily launched Chromium. Use inside one event loop; ``close``."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._slots = asyncio.Semaphore(max(1, settings.render_concurrency))
        self._lock = asyncio.Lock()
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        self._client: httpx.AsyncClient | None = None
        self._unavailable: tuple[float, str] | None = None
        self.launches = 0  # browsers started (a benchmark and the tests read it)

    @property
    def launched(self) -> bool:
        return self._browser is not None

    async def render(self, static: FetchResult) -> Rendered:
        """The DOM of ``static``'s page after its scripts ran; FetchError says why not."""
        async with self._slots:
            browser = await self._ensure_browser()
            try:
                return await self._render_in(browser, static)
            finally:
                await self._check_health(browser)

    async def close(self) -> None:
        async with self._lock:
            await self._shutdown()

    # ------------------------------------------------------------ the browser's life

    async def _ensure_browser(self) -> Browser:
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if self._browser is not None:  # crashed or killed: start afresh
                log.warning("the browser is gone; starting a new one")
                await self._shutdown()
            if self._unavailable and time.monotonic() - self._unavailable[0] < RELAUNCH_AFTER_S:
                raise RenderUnavailable(self._unavailable[1])
            try:
                self._browser = await self._launch()
            except RenderUnavailable as exc:
                self._unavailable = (time.monotonic(), exc.reason)
                raise
            self._unavailable = None
            return self._browser

    async def _launch(self) -> Browser:
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise RenderUnavailable(
                "rendering needs Playwright: pip install 'news-edit-tracker[render]'"
            ) from None
        executable = chromium_executable(self.settings)
        self._pw = await async_playwright().start()
        try:
            browser = await self._pw.chromium.launch(
                executable_path=executable, args=list(LAUNCH_ARGS), handle_sigint=False
            )
        except Exception as exc:  # Playwright's Error: no such file, a browser that dies
            await self._shutdown()
            where = executable or "Playwright's own Chromium"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RenderUnavailable(f"cannot start Chromium ({where}): {first[:200]}") from None
        self.launches += 1
        if self._client is None:
            self._client = _subresource_client(self.settings)
        log.info("browser started: %s %s", executable or "playwright chromium", browser.version)
        return browser

    async def _shutdown(self) -> None:
        browser, pw, self._browser, self._pw = self._browser, self._pw, None, None
        if browser is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await browser.close()
        if pw is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await pw.stop()
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _check_health(self, browser: Browser) -> None:
        """Restart a browser over the memory ceiling (after the page in hand is done)."""
        if not browser.is_connected():
            return
        rss = browser_rss_bytes()
        if rss > self.settings.render_memory_mb * 1024 * 1024:
            log.warning("the browser uses %d MB: restarting it", rss // (1024 * 1024))
            async with self._lock:
                if self._browser is browser:
                    await self._shutdown()

    # ------------------------------------------------------------ one page

    async def _render_in(self, browser: Browser, static: FetchResult) -> Rendered:
        started = time.perf_counter()
        budget = _Budget(cap=self.settings.render_max_bytes)
        deadline = self.settings.render_timeout
        context = await browser.new_context(
            accept_downloads=False,
            service_workers="block",
            java_script_enabled=True,
            user_agent=self.settings.user_agent,
            permissions=[],
        )
        try:
            async with asyncio.timeout(deadline):
                page = await context.new_page()
                context.on("page", _close_popup)
                await page.route_web_socket("**/*", _refuse_websocket)
                await page.route("**/*", self._handler(static, budget))
                html = await self._load(page, static.final_url, deadline)
        except TimeoutError:  # ours, or Playwright's (which is not asyncio's)
            raise _timed_out(deadline) from None
        except FetchError:
            raise
        except Exception as exc:  # Playwright's Error: the browser crashed or was killed
            if type(exc).__name__ == "TimeoutError":
                raise _timed_out(deadline) from None
            if not browser.is_connected():
                raise FetchError(
                    "the browser crashed during rendering", kind="render_crashed"
                ) from None
            raise FetchError(f"rendering failed: {_one_line(exc)}", kind="render_failed") from None
        finally:
            await _close_context(context, browser)
        if budget.over:
            raise TooLarge(f"the rendered page fetched more than {budget.cap} bytes")
        return Rendered(
            html=html,
            final_url=static.final_url,
            requests=budget.requests,
            bytes_fetched=budget.used,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            blocked=tuple(budget.blocked),
        )

    async def _load(self, page: Page, url: str, deadline: float) -> bytes:
        # Playwright's own timeouts sit past the deadline: ours fires first, whole.
        later = (deadline + 5) * 1000
        await page.goto(url, wait_until="load", timeout=later)
        # Settle: the page's own requests (a live blog's JSON) finish; a page that polls
        # without pause never goes idle and runs into the deadline.
        await page.wait_for_load_state("networkidle", timeout=later)
        html = (await page.content()).encode("utf-8")
        if len(html) > self.settings.max_bytes:
            raise TooLarge(f"the rendered DOM is over the cap of {self.settings.max_bytes} bytes")
        return html

    def _handler(self, static: FetchResult, budget: _Budget) -> Any:
        served = False

        async def handle(route: Route, request: Request) -> None:
            nonlocal served
            if not served and request.is_navigation_request() and request.url == static.final_url:
                served = True  # the document itself: the static response, as served
                await route.fulfill(
                    status=static.status_code,
                    headers=_response_headers(static.headers),
                    body=static.body,
                )
                return
            await self._subresource(route, request, budget)

        return handle

    async def _subresource(self, route: Route, request: Request, budget: _Budget) -> None:
        budget.requests += 1
        if request.resource_type in MEDIA_TYPES and not self.settings.render_allow_media:
            await route.abort("blockedbyclient")
            return
        scheme = urlsplit(request.url).scheme
        if scheme not in SCHEMES:
            budget.refuse(f"refused {request.url[:100]}: only http and https are fetched")
            await route.abort("blockedbyclient")
            return
        if budget.over:
            await route.abort("blockedbyclient")
            return
        try:
            status, headers, body = await self._fetch(request, budget)
        except AddressRefused as exc:
            budget.refuse(exc.reason)
            log.info("rendering refused a request: %s", exc.reason)
            await route.abort("blockedbyclient")
            return
        except (FetchError, _http_error()):
            await route.abort("failed")
            return
        await route.fulfill(status=status, headers=headers, body=body)

    async def _fetch(self, request: Request, budget: _Budget) -> tuple[int, dict[str, str], bytes]:
        """One sub-resource through the guarded client, its body within the page's cap."""
        client = self._client
        assert client is not None, "Renderer used before its browser started"
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in DROPPED_REQUEST_HEADERS
        }
        post = request.post_data_buffer
        req = client.build_request(request.method, request.url, headers=headers, content=post)
        response = await client.send(req, stream=True)  # AddressRefused from the guard
        try:
            parts: list[bytes] = []
            async for chunk in response.aiter_bytes():
                budget.used += len(chunk)
                if budget.used > budget.cap:
                    budget.over = True
                    raise TooLarge(f"the rendered page fetched more than {budget.cap} bytes")
                parts.append(chunk)
        finally:
            await response.aclose()
        return response.status_code, _response_headers(dict(response.headers)), b"".join(parts)


def _http_error() -> type[Exception]:
    import httpx

    return httpx.HTTPError


def _subresource_client(settings: FetchSettings) -> httpx.AsyncClient:
    # here, not at the top: a check that renders nothing never loads httpx (start-up)
    import httpx

    from tracker.httpx_guard import guarded_transport

    limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
    return httpx.AsyncClient(
        transport=guarded_transport(settings, limits),
        timeout=httpx.Timeout(settings.render_timeout, connect=settings.connect_timeout),
        follow_redirects=False,  # the browser gets the redirect and asks again: guarded again
        trust_env=False,
        headers={"Accept-Encoding": "gzip, deflate"},
    )


def _response_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS}


async def _close_popup(page: Page) -> None:
    with contextlib.suppress(Exception):
        await page.close()


async def _refuse_websocket(ws: Any) -> None:
    with contextlib.suppress(Exception):
        await ws.close(code=1008, reason="refused by the tracker")


async def _close_context(context: Any, browser: Browser) -> None:
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await context.close()
    except Exception:  # a context that will not close: the browser is sick, kill it
        if browser.is_connected():
            log.warning("a browser context would not close; restarting the browser")
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await browser.close()


def browser_rss_bytes() -> int:
    """Memory of this process's Chromium processes (Playwright starts them as grandchildren):
    each one's resident memory less what it shares (the browser's processes share much of
    theirs, so RSS summed would count it many times)."""
    import psutil  # type: ignore[import-untyped]  # no stubs installed; three calls used

    total = 0
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return 0
    for proc in children:
        try:
            if "chrom" in proc.name().lower():
                mem = proc.memory_info()
                total += max(0, mem.rss - getattr(mem, "shared", 0))
        except psutil.Error:
            continue
    return total


def _timed_out(deadline: float) -> FetchError:
    return FetchError(
        f"rendering did not finish within {deadline:g}s (scripts still running, or the page "
        "never settled)",
        kind="render_timeout",
    )


def _one_line(exc: Exception, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:limit]
