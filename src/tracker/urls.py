"""URL normalisation for stories: one article, one URL, whatever the tracking parameters.

Every entry point (CLI ``add``, the API, feeds) goes through ``normalise_url``, so this is
where a URL is refused, with the reason, before it becomes a story that can only fail later:
whitespace or control characters inside it, credentials, a host that DNS cannot carry.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import idna

from tracker.errors import FetchError

TRACKING_PARAMS = {
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_ga",
    "ocid",
    "cmpid",
    "smid",
    "ref",
    "ref_src",
    "src",
    "share",
    "at_medium",
    "at_campaign",
}
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")
MAX_URL_LENGTH = 2048  # the story.url column; browsers and servers cap near here too
MAX_LABEL = 63  # DNS: one label of a host name
MAX_HOST = 253  # DNS: a whole host name, dots included
# Letters, digits, hyphens; underscores too, which DNS carries and some real hosts use.
_ASCII_LABEL = re.compile(r"[a-z0-9_-]+")


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, IDN hosts in punycode, default port, fragment and tracking
    parameters dropped; FetchError(kind="bad_url") saying why when the URL is invalid."""
    # Here, not at the top: the fetcher (httpx, tenacity) loads only when something fetches.
    from tracker.fetch import validate_url

    url = url.strip()
    _refuse_hidden_characters(url)
    url = validate_url(url)
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise _bad(url, "credentials (user:password@) are not accepted in a story URL")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    netloc = _netloc(url, parts.scheme, parts.hostname or "", parts.port)
    clean = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))
    if len(clean) > MAX_URL_LENGTH:
        raise FetchError(f"URL longer than {MAX_URL_LENGTH} characters", kind="bad_url")
    return clean


def _bad(url: str, why: str) -> FetchError:
    shown = url if len(url) <= 100 else url[:100] + "..."
    return FetchError(f"invalid URL {shown!r}: {why}", kind="bad_url")


def _refuse_hidden_characters(url: str) -> None:
    """Whitespace, control and invisible characters inside a URL are refused, not repaired.

    A space in a pasted URL is almost always two URLs run together or a typo, and a newline or
    tab deleted in silence would track a page nobody asked for.
    """
    for ch in url:
        category = unicodedata.category(ch)
        if ch.isspace() or category == "Zs":
            raise _bad(
                url,
                f"it contains {_name(ch)}; a URL never does, so this is likely two URLs or a "
                "typo (a space that belongs in the URL is written %20)",
            )
        if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise _bad(url, f"it contains a control or invisible character ({_name(ch)})")


_SPACES = {" ": "a space", "\t": "a tab", "\n": "a newline", "\r": "a carriage return"}


def _name(ch: str) -> str:
    if ch in _SPACES:
        return _SPACES[ch]
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".strip()


def _netloc(url: str, scheme: str, host: str, port: int | None) -> str:
    """``host[:port]``: the host checked and in punycode, the port only when not the default."""
    if port == 0:
        raise _bad(url, "port 0 is not a port")
    host = _host(url, host)
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return host
    return f"{host}:{port}"


def _host(url: str, host: str) -> str:
    """The host in the form DNS and TLS use: lower case, IDN as punycode, IPv6 in brackets."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"[{ip.compressed}]" if ip.version == 6 else ip.compressed
    if host.isascii():
        ascii_host = host.lower()
        for label in ascii_host.removesuffix(".").split("."):
            if not _ASCII_LABEL.fullmatch(label):
                why = "an empty label (two dots)" if not label else f"the label {label!r}"
                raise _bad(url, f"the host has {why}: only letters, digits and hyphens go there")
    else:
        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise _bad(url, f"the host is not a valid international domain name: {exc}") from None
    for label in ascii_host.split("."):
        if len(label) > MAX_LABEL:
            raise _bad(url, f"a part of the host is {len(label)} characters (at most {MAX_LABEL})")
    if len(ascii_host.removesuffix(".")) > MAX_HOST:
        raise _bad(url, f"the host is {len(ascii_host)} characters (at most {MAX_HOST})")
    return ascii_host
