"""A person's alert destinations: what may be one, and the guard on where it points.

A destination is any Apprise URL (mailto://, slack://, matrix://, ntfy://...) or a webhook
(http/https). Since the server sends to it on that person's behalf, its host must not be a
private, loopback or link-local address (a desk user could otherwise make the server talk to
the intranet) unless ``[web] desk_private_destinations``. A host name that does not resolve
is fine for Apprise (many schemes carry tokens where a URL has its host) and refused for a
webhook.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from tracker.errors import FetchError, UsageError
from tracker.fetch import is_public_address, validate_url

KINDS = ("apprise", "webhook")
MAX_URL = 2000


def check(kind: str, url: str, *, allow_private: bool) -> str:
    """The destination's URL, stripped, or UsageError saying what is wrong with it."""
    url = url.strip()
    if kind not in KINDS:
        raise UsageError(f"bad destination kind {kind!r}: apprise or webhook")
    if not url or len(url) > MAX_URL:
        raise UsageError(f"a destination URL has 1 to {MAX_URL} characters")
    if kind == "webhook":
        try:
            validate_url(url)
        except FetchError as exc:
            raise UsageError(exc.reason) from None
    elif not _apprise_knows(url):
        raise UsageError("not a usable Apprise URL (unknown scheme or bad options)")
    if not allow_private:
        _guard(kind, url)
    return url


def _apprise_knows(url: str) -> bool:
    import apprise

    return apprise.Apprise.instantiate(url) is not None


def _guard(kind: str, url: str) -> None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        return
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        if kind == "webhook":
            raise UsageError(f"cannot resolve {host}") from None
        return
    for info in infos:
        if not is_public_address(str(info[4][0])):
            raise UsageError(
                f"{host} is a private, loopback or link-local address: refused "
                "(an operator may allow it: [web] desk_private_destinations)"
            )


def shown(url: str) -> str:
    """The URL without its user and password, for pages and the audit log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable)"
    return f"{parts.scheme}://{host}{port}"
