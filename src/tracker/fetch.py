"""HTTP for checks and feeds: one shared client, caps on everything, an address guard.

- The client is aiohttp's: its C parser and connection pool cost ~0.15 ms of CPU per request
  where httpx took ~1.3 ms, which is most of a pass of unchanged pages (benchmarks/README.md,
  issue 17). httpx stays for the rendered page's subresources (``httpx_guard``).
- The address guard lives in the connector's resolver: each new connection resolves its host
  once, refuses it unless every address is public, and connects to one of the addresses it
  checked (no second lookup a rebinding DNS server could answer differently; no DNS cache).
  The URL, the Host header and TLS (SNI, certificate) keep the name. An address written in
  the URL is checked here, since aiohttp never asks the resolver about one.
- Redirects are followed by hand, so every hop opens its connection through the guard and
  counts against ``max_redirects``.
- Bodies are read raw and decompressed here with a hard output cap: a gzip bomb stops at
  ``max_bytes`` whatever its ratio. Only gzip and deflate are offered.
- One deadline per check (``timeout``) covering robots.txt, every attempt, redirect and
  retry pause, so a server dripping one byte a second cannot hold a worker past it.
- Retries (tenacity) on timeouts, connection errors, malformed responses and 5xx, with
  exponential backoff, only while the deadline leaves room for the pause; 429 and 503 with
  Retry-After are not retried inline: the scheduler honours the delay.
- aiohttp's errors are translated once (``_translated``) into ``FetchError`` kinds: timeout,
  network (cannot connect, connection broke), protocol (malformed response).
- Politeness: a global concurrency limit; per-host limits, minimum delay, 429/503 backoff and
  robots.txt through a ``HostGate`` (``politeness.py``): this process's, or the fleet's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import socket
import ssl
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import certifi
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.stop import stop_base

from tracker.aiohttp_import import AbstractResolver, ResolveResult, aiohttp
from tracker.config import FetchSettings
from tracker.errors import (
    AddressRefused,
    FetchError,
    HttpStatus,
    MalformedResponse,
    NotArticle,
    TooLarge,
    with_attempts,
)
from tracker.politeness import HostGate, LocalGate, Started, backoff_seconds, no_wait
from tracker.records import FetchResult
from tracker.timeparse import retry_after_seconds, utcnow

log = logging.getLogger("tracker.fetch")

HTML_TYPES = {"text/html", "application/xhtml+xml", "text/plain", ""}
FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
}
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "content-encoding",
    "etag",
    "last-modified",
    "date",
    "cache-control",
    "age",
    "expires",
    "server",
    "x-cache",
    "via",
    "retry-after",
    "link",
    "content-language",
    "location",
)
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


NO_CACHE = {"Cache-Control": "no-cache", "Pragma": "no-cache"}


def _counted(final: FetchError, attempts: list[FetchError], elapsed_s: float) -> FetchError:
    """The error that ended a fetch, saying how many attempts it took and how each ended:
    "HTTP 503 Service Unavailable (3 attempts: HTTP 500, then timeout, then HTTP 503)"."""
    if not attempts or attempts[-1] is not final:
        attempts = [*attempts, final]
    final.elapsed_ms = elapsed_s * 1000
    final.attempts = len(attempts)
    final.retried = tuple(e.kind for e in attempts[:-1])
    if len(attempts) > 1:
        final.reason = with_attempts(final.reason, [_short(e) for e in attempts])
        final.args = (final.reason,)
    return final


def _short(err: FetchError) -> str:
    return f"HTTP {err.status_code}" if isinstance(err, HttpStatus) else err.kind


class _Retryable(Exception):
    """Internal: wraps an error that deserves another attempt."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(str(error))
        self.error = error


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Loading the CA bundle costs ~30 ms: build the context once per process (certifi's
    bundle, as httpx uses)."""
    return ssl.create_default_context(cafile=certifi.where())


def is_public_address(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return not (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or not addr.is_global  # also 100.64.0.0/10 (carrier-grade NAT), which is not "private"
    )


def validate_url(url: str) -> str:
    """An absolute http(s) URL with a host, or FetchError(kind="bad_url")."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise FetchError(f"invalid URL {url!r}: {exc}", kind="bad_url") from exc
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"invalid URL {url!r}: only http and https are fetched", kind="bad_url")
    if not parts.hostname:
        raise FetchError(f"invalid URL {url!r}: no host", kind="bad_url")
    try:
        _ = parts.port
    except ValueError as exc:
        raise FetchError(f"invalid URL {url!r}: bad port", kind="bad_url") from exc
    return url.strip()


# ---------------------------------------------------------------- the address guard


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, from one lookup (FetchError kind "dns")."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}", kind="dns") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_addresses(host: str, addresses: list[str]) -> None:
    """AddressRefused unless every address is public: one private answer taints the name."""
    for ip in addresses:
        if not is_public_address(ip):
            raise AddressRefused(
                f"refused {host} ({ip}): private, loopback or link-local address "
                "(set [fetch] allow_private_addresses = true to allow)"
            )


def check_literal_address(host: str) -> None:
    """AddressRefused when ``host`` is an IP address that is not public (aiohttp connects to
    an address written in the URL without asking the resolver)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    check_addresses(host, [host])


class _GuardedResolver(AbstractResolver):
    """Resolves each new connection's host once and answers only with checked addresses."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await resolve(host, port)
        check_addresses(host, addresses)
        return [
            ResolveResult(
                hostname=host,  # TLS: SNI and the certificate check keep the name
                host=ip,
                port=port,
                family=socket.AF_INET6 if ":" in ip else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for ip in addresses
        ]

    async def close(self) -> None:
        return None


# ---------------------------------------------------------------- aiohttp errors -> ours


def _detail(exc: Exception, limit: int = 200) -> str:
    """An exception as one short line: server-sent bytes can be long or hold anything."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextlib.contextmanager
def _translated(url: str) -> Iterator[None]:
    """aiohttp's errors -> FetchError kinds, in one place; transient ones marked retryable.
    Subclasses come before their bases (a connect timeout is a timeout, not a connect error)."""
    host = urlsplit(url).hostname or url
    try:
        yield
    except aiohttp.ServerTimeoutError as exc:
        error = FetchError(f"timed out talking to {host} ({type(exc).__name__})", kind="timeout")
        raise _Retryable(error) from exc
    except aiohttp.ClientConnectorError as exc:
        raise _Retryable(FetchError(f"cannot connect to {host}: {_detail(exc)}")) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
        # No answer or a body cut short: what h11 called a protocol error, and so do we.
        error = MalformedResponse(f"malformed response from {host}: {_detail(exc)}")
        raise _Retryable(error) from exc
    except aiohttp.ClientResponseError as exc:  # bad status line or headers
        error = MalformedResponse(f"malformed response from {host}: {_detail(exc)}")
        raise _Retryable(error) from exc
    except aiohttp.InvalidURL as exc:
        raise FetchError(f"invalid URL {url!r}: {exc}", kind="bad_url") from exc
    except aiohttp.ClientError as exc:  # reset, broken pipe, anything else on the wire
        raise _Retryable(FetchError(f"connection to {host} broke: {_detail(exc)}")) from exc
    except (ValueError, UnicodeError) as exc:  # a header value aiohttp will not send
        raise FetchError(f"cannot send the request to {host}: {_detail(exc)}") from exc


class _Decoder:
    """Incremental gzip/deflate decoding that never produces more than ``cap`` bytes."""

    def __init__(self, encoding: str, cap: int) -> None:
        enc = encoding.lower().strip()
        if enc in ("", "identity"):
            self._z = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise FetchError(f"unsupported content-encoding {encoding!r}", kind="encoding")
        self.cap = cap
        self.size = 0
        self.parts: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._add(chunk)
            return
        try:
            data = self._z.decompress(chunk, self.cap - self.size + 1)
            self._add(data)
            while self._z.unconsumed_tail:
                data = self._z.decompress(self._z.unconsumed_tail, self.cap - self.size + 1)
                self._add(data)
        except zlib.error as exc:
            raise FetchError(f"corrupt compressed body: {exc}", kind="encoding") from exc

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.cap:
            raise TooLarge(f"body larger than {self.cap} bytes after decompression")
        self.parts.append(data)

    def finish(self) -> bytes:
        return b"".join(self.parts)


class _PauseEndsPast(stop_base):
    """Stop retrying when the next pause would end past the deadline: the last error stands
    (an HTTP 500 stays an HTTP 500 rather than becoming a timeout)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        pause = retry_state.upcoming_sleep or 0.0
        return asyncio.get_running_loop().time() + pause >= self.deadline


def _log_retry(url: str, most: int, done_before: int, retry_state: RetryCallState) -> None:
    """tenacity's before_sleep (its attempts come after ``done_before`` of ours)."""
    outcome = retry_state.outcome
    failure = outcome.exception() if outcome is not None else None
    error = failure.error if isinstance(failure, _Retryable) else None
    attempt = done_before + retry_state.attempt_number + 1
    _say_retry(url, error, attempt, most, retry_state.upcoming_sleep or 0.0)


def _say_retry(url: str, error: FetchError | None, attempt: int, most: int, pause: float) -> None:
    """One INFO line per retry, with the attempt to come and when."""
    after = _short(error) if error is not None else "an error"
    at = datetime.now(UTC) + timedelta(seconds=pause)
    log.info(
        "retrying %s after %s (attempt %d/%d) in %.1fs",
        url,
        after,
        attempt,
        most,
        pause,
        extra={
            "url": url,
            "after": after,
            "attempt": attempt,
            "max_attempts": most,
            "retry_in_s": round(pause, 3),
            "retry_at": at.isoformat(),
        },
    )


REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
MAX_HEADER_BYTES = 64 * 1024  # one header line; aiohttp's default (8 KB) refuses real CSPs
MAX_HEADERS = 1024  # header lines in one response; aiohttp's default (128) is a browser's less


class Fetcher:
    """One shared async HTTP client with the tracker's limits. Use as an async context.

    ``guard`` is the address guard: on unless ``allow_private_addresses`` (``False`` turns it
    off for this fetcher alone: a test's seam for a page on loopback)."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        gate: HostGate | None = None,
        guard: bool | None = None,
    ):
        self.settings = settings
        self.guard = (not settings.allow_private_addresses) if guard is None else guard
        self._session: aiohttp.ClientSession | None = None
        self._global = asyncio.Semaphore(max(1, settings.concurrency))
        # Per-host limits: in this process (LocalGate), or the fleet's (check.fleet.FleetGate).
        self.gate: HostGate = gate if gate is not None else LocalGate(settings)
        self._robots: dict[str, tuple[float, RobotFileParser | None]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        connector = aiohttp.TCPConnector(
            limit=max(4, s.concurrency),
            limit_per_host=0,  # the HostGate limits hosts (this process's or the fleet's)
            resolver=_GuardedResolver() if self.guard else None,
            use_dns_cache=False,  # every new connection is resolved (and checked) again
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=s.connect_timeout, sock_read=s.timeout
            ),
            auto_decompress=False,  # decoded here, under the cap (_Decoder)
            headers={
                "User-Agent": s.user_agent,
                "Accept-Encoding": "gzip, deflate",
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
            },
            max_line_size=MAX_HEADER_BYTES,
            max_field_size=MAX_HEADER_BYTES,
            max_headers=MAX_HEADERS,
            trust_env=False,
        )
        # aiohttp resends a GET once, silently, when the server hangs up before answering;
        # here every attempt is ours to count, pace and report (``retries``), so it is off,
        # as in aiohttp's own test client. A pooled connection the server closed is dropped
        # before reuse (``is_connected``); the rare race left is retried and counted by us.
        self._session._retry_connection = False
        return self

    async def __aexit__(self, *exc: object) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def fetch(
        self,
        url: str,
        validators: Validators | None = None,
        *,
        accept: set[str] | None = None,
        fresh: bool = False,
    ) -> FetchResult:
        """GET ``url`` with every cap; FetchError (a subclass says why) when it fails.

        ``[fetch] timeout`` is the budget of the whole call once its turn comes (after the
        concurrency limits and the per-host delay): robots.txt, attempts, redirects, pauses.
        Every attempt is counted: the result (or the error) says how many were made, which
        failures were retried, and ``elapsed_ms`` spans them all. ``fresh`` asks caches along
        the way for a new copy (a fetch that confirms a 404 or a suspect page).
        """
        url = validate_url(url)
        host = urlsplit(url).hostname or ""
        async with self._global:
            if self.settings.respect_robots_txt and not await self._robots_allow(url):
                raise FetchError("disallowed by robots.txt", kind="robots")
            async with self.gate.turn(host) as on_out:
                result = await self._budgeted(url, host, validators, accept, fresh, on_out)
        return result

    async def _budgeted(
        self,
        url: str,
        host: str,
        validators: Validators | None,
        accept: set[str] | None,
        fresh: bool,
        on_out: Started,
    ) -> FetchResult:
        """The attempts within ``[fetch] timeout``, counted; a 429/503 backs the host off."""
        loop = asyncio.get_running_loop()
        budget = self.settings.timeout
        started = loop.time()
        failed: list[FetchError] = []
        try:
            async with asyncio.timeout_at(started + budget):
                result = await self._attempts(
                    url, validators, accept or HTML_TYPES, started + budget, failed, fresh, on_out
                )
        except TimeoutError:
            timeout = FetchError(f"timed out after {budget:g}s", kind="timeout")
            raise _counted(timeout, [*failed, timeout], loop.time() - started) from None
        except FetchError as exc:
            if isinstance(exc, HttpStatus) and exc.status_code in (429, 503):
                seconds = backoff_seconds(exc.retry_after_s)
                await self.gate.back_off(host, seconds, f"HTTP {exc.status_code} for {url}")
            raise _counted(exc, failed, loop.time() - started) from None
        return replace(
            result,
            elapsed_ms=(loop.time() - started) * 1000,
            attempts=len(failed) + 1,
            retried=tuple(e.kind for e in failed),
        )

    async def _attempts(
        self,
        url: str,
        validators: Validators | None,
        accept: set[str],
        deadline: float,
        failed: list[FetchError],
        fresh: bool,
        on_out: Started,
    ) -> FetchResult:
        """The first attempt, then (after a retryable failure) tenacity's: most fetches
        succeed at once, and building the retry machinery cost ~5 % of a pass of 304s."""
        try:
            return await self._fetch_once(url, validators, accept, fresh, on_out)
        except _Retryable as exc:
            failed.append(exc.error)
        most = self.settings.retries + 1
        pause = min(self.settings.retry_backoff, 30.0)  # wait_exponential's first pause
        if most < 2 or asyncio.get_running_loop().time() + pause >= deadline:
            raise failed[-1]
        _say_retry(url, failed[-1], 2, most, pause)
        await asyncio.sleep(pause)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(most - 1) | _PauseEndsPast(deadline),
            # the pauses go on doubling from the first one's
            wait=wait_exponential(multiplier=self.settings.retry_backoff * 2, max=30),
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            before_sleep=functools.partial(_log_retry, url, most, 1),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        return await self._fetch_once(url, validators, accept, fresh, on_out)
                    except _Retryable as exc:
                        failed.append(exc.error)
                        raise
        except _Retryable as exc:
            raise exc.error from None
        raise AssertionError("unreachable")

    async def _fetch_once(
        self,
        url: str,
        validators: Validators | None,
        accept: set[str],
        fresh: bool,
        on_out: Started = no_wait,
    ) -> FetchResult:
        session = self._session
        assert session is not None, "Fetcher used outside 'async with'"
        started = time.perf_counter()
        current = url
        headers: dict[str, str] = dict(NO_CACHE) if fresh else {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        for hop in range(self.settings.max_redirects + 1):
            if self.guard:
                check_literal_address(urlsplit(current).hostname or "")
            with _translated(current):
                # The CA bundle loads (~50 ms) the first time a page is https, not before.
                tls = tls_context() if current.startswith("https:") else True
                response = await session.get(
                    current, headers=headers, allow_redirects=False, ssl=tls
                )
            try:
                await on_out()  # the answer began: the host's delay counts from here
                location = response.headers.get("location")
                if response.status in REDIRECT_STATUSES and location is not None:
                    if hop == self.settings.max_redirects:
                        raise FetchError(
                            f"more than {self.settings.max_redirects} redirects",
                            kind="redirects",
                            final_url=current,
                        )
                    current = validate_url(urljoin(current, location))
                    continue
                with _translated(current):
                    return await self._read(url, current, response, accept, started)
            finally:
                # Back to the pool when the body was read (a 304, a page); closed otherwise.
                response.release()
        raise FetchError(f"more than {self.settings.max_redirects} redirects", kind="redirects")

    async def _read(
        self,
        url: str,
        final_url: str,
        response: aiohttp.ClientResponse,
        accept: set[str],
        started: float,
    ) -> FetchResult:
        status = response.status
        kept = _kept_headers(response.headers)
        retry_after = retry_after_seconds(kept.get("retry-after"), utcnow())
        if status == 304:
            return self._result(url, final_url, response, kept, b"", started, not_modified=True)
        if status >= 400:
            reason = f"HTTP {status} {response.reason or ''}".strip()
            err = HttpStatus(
                reason, status_code=status, retry_after_s=retry_after, final_url=final_url
            )
            if (status >= 500 and status != 503) or (status == 503 and retry_after is None):
                raise _Retryable(err)
            raise err
        ctype = kept.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in accept:
            raise NotArticle(
                f"not an article: content-type {ctype or 'missing'}", status_code=status
            )
        cap = self.settings.max_bytes
        declared = kept.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise TooLarge(f"body of {declared} bytes is over the cap of {cap}", status_code=status)
        decoder = _Decoder(kept.get("content-encoding", ""), cap)
        wire = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            wire += len(chunk)
            if wire > cap:
                raise TooLarge(f"body larger than {cap} bytes", status_code=status)
            decoder.feed(chunk)
        body = decoder.finish()
        if not body.strip():
            raise NotArticle("empty body", status_code=status)
        return self._result(url, final_url, response, kept, body, started)

    def _result(
        self,
        url: str,
        final_url: str,
        response: aiohttp.ClientResponse,
        kept: dict[str, str],
        body: bytes,
        started: float,
        not_modified: bool = False,
    ) -> FetchResult:
        return FetchResult(
            url=url,
            final_url=final_url,
            status_code=response.status,
            headers=kept,
            body=body,
            fetched_at=datetime.now(UTC),
            elapsed_ms=(time.perf_counter() - started) * 1000,
            charset=_charset(kept.get("content-type")),
            not_modified=not_modified,
            etag=kept.get("etag"),
            last_modified=kept.get("last-modified"),
        )

    async def _robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._robots_locks[origin]:  # one robots.txt fetch per origin, not one per story
            cached = self._robots.get(origin)
            if cached is None or cached[0] < time.monotonic() - self.gate.robots_cache_s:
                body = await self.gate.robots(origin, functools.partial(self._fetch_robots, origin))
                parser: RobotFileParser | None = None
                if body is not None:
                    parser = RobotFileParser()
                    parser.parse(body.splitlines())
                self._robots[origin] = cached = (time.monotonic(), parser)
        parser = cached[1]
        return parser is None or parser.can_fetch(self.settings.user_agent, url)

    async def _fetch_robots(self, origin: str) -> str | None:
        """The site's robots.txt (None when it has none or cannot be reached: all allowed).
        It is a request like any other: it waits its turn at the host."""
        try:
            async with self.gate.turn(urlsplit(origin).hostname or "") as on_out:
                async with asyncio.timeout(self.settings.timeout):
                    result = await self._fetch_once(
                        origin + "/robots.txt", None, {"text/plain", ""}, False, on_out
                    )
        except (FetchError, _Retryable, TimeoutError):
            return None
        return result.body.decode("utf-8", "replace")


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The response headers a snapshot keeps, names in lower case; a repeated header is
    joined with ", " (as HTTP allows, and as httpx gave them before)."""
    kept: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in KEPT_HEADERS:
            kept[key] = f"{kept[key]}, {value}" if key in kept else value
    return kept


def _charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, unquoted (None when absent)."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None
