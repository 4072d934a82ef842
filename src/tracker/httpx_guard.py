"""The address guard for httpx clients (the rendered page's subresources).

The check's own fetch runs on aiohttp with the guard in its resolver (``fetch``); Chromium's
subresource requests go through httpx, whose connection pool takes a network backend: this
one resolves each new connection's host once, refuses it unless every address is public, and
connects to one of the addresses it checked (no second lookup a rebinding DNS server could
answer differently). The URL, the Host header and TLS (SNI, certificate) keep the name.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import httpcore
import httpx

from tracker.config import FetchSettings
from tracker.errors import AddressRefused
from tracker.fetch import check_addresses, resolve, tls_context


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses it has checked itself: resolve once, check, connect."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        check_addresses(host, addresses)
        error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(
                    ip, port, timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(f"refused unix socket {path}")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (and its error mapping) over a pool that connects through
    ``_GuardedBackend``."""

    def __init__(self, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx 0.28 takes no network backend: rebuild its pool, same settings, with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )


def guarded_transport(settings: FetchSettings, limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    """A transport with the address guard (unless ``allow_private_addresses``): for other
    clients that must reach only what a check may, such as a rendered page's requests."""
    if settings.allow_private_addresses:
        return httpx.AsyncHTTPTransport(verify=tls_context(), limits=limits, trust_env=False)
    return _GuardedTransport(tls_context(), limits)
