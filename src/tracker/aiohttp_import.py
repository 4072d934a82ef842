"""aiohttp, imported without loading the system's CA store twice for contexts nobody uses.

When aiohttp is first imported it builds two default TLS contexts, and each loads the
system's CA store (~25 ms apiece: 50 ms at the start of every ``tracker check``, a twentieth
of a whole pass of 304s). The fetcher never uses them: an https page is fetched with
``fetch.tls_context()`` (certifi's bundle), a plain http page with no TLS at all. So while
aiohttp loads, a new context skips the default store: those two contexts trust no
certificate (an https request that fell back on them would fail, never pass unchecked).
Nothing else in the process is affected: the store loads as before once aiohttp is in.
"""

from __future__ import annotations

import ssl
import sys


def _no_default_store(_context: ssl.SSLContext) -> None:
    return None


if "aiohttp" in sys.modules:  # someone imported it first: nothing left to save
    import aiohttp
else:
    ssl.SSLContext.set_default_verify_paths = _no_default_store  # type: ignore[method-assign,assignment]
    try:
        import aiohttp
    finally:
        del ssl.SSLContext.set_default_verify_paths  # the C method shows through again

from aiohttp.abc import AbstractResolver, ResolveResult  # noqa: E402

__all__ = ["AbstractResolver", "ResolveResult", "aiohttp"]
