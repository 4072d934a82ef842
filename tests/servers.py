"""Real local servers for tests: an HTTP server whose pages tests can change at will.

Every route is a ``Route``: status, headers, body, and optional behaviour (delay, drip,
redirect). Tests edit ``server.routes`` between checks to make a story evolve.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"}
    )
    delay: float = 0.0  # seconds before answering
    drip: float = 0.0  # seconds between body bytes (slow server)
    etag: str | None = None  # answer 304 when If-None-Match matches
    raw_length: bool = True  # send Content-Length
    first: list[Route] = field(default_factory=list)  # answers for the next requests, in turn


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with editable routes; counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.times: list[float] = []  # monotonic arrival time of each request
        self.active = 0
        self.max_active = 0  # most requests in progress at once
        self.peers: set[tuple[str, int]] = set()  # client sockets seen (keep-alive reuse)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                path = self.path
                with server.lock:
                    server.hits[path] += 1
                    server.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
                    server.times.append(time.monotonic())
                    server.peers.add(self.client_address)
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                    route = server.routes.get(path)
                    if route is not None and route.first:  # a scripted answer, used once
                        route = route.first.pop(0)
                try:
                    self._answer(route)
                finally:
                    with server.lock:
                        server.active -= 1

            def _answer(self, route: Route | None) -> None:
                if route is None:
                    self._send(404, {"Content-Type": "text/plain"}, b"not found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self._send(304, {"ETag": route.etag}, b"")
                    return
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                self._send(
                    route.status, headers, route.body, drip=route.drip, length=route.raw_length
                )

            def _send(
                self,
                status: int,
                headers: dict[str, str],
                body: bytes,
                drip: float = 0.0,
                length: bool = True,
            ) -> None:
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if length:
                        self.send_header("Content-Length", str(len(body)))
                    else:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    if drip:
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(drip)
                    elif status != 304:
                        self.wfile.write(body)
                    if not length:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def page(self, path: str, html: str, **kwargs: object) -> str:
        self.routes[path] = Route(body=html.encode("utf-8"), **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def start(self) -> LocalServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def article_html(
    title: str,
    paragraphs: list[str],
    *,
    byline: str = "By Jane Reporter",
    noise: str = "",
    published: str = "2026-11-28T08:00:00Z",
    modified: str | None = None,
    extra_head: str = "",
) -> str:
    """A realistic news page: nav, header, article with byline and dates, sidebar, footer."""
    paras = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    mod = f'<meta property="article:modified_time" content="{modified}">' if modified else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | The Daily Test</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">{mod}
<meta name="author" content="{byline.removeprefix("By ")}">
{extra_head}
<script>window.__nonce = "{noise}";</script>
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<main><article>
<h1>{title}</h1>
<p class="byline">{byline}</p>
<time datetime="{published}">November 28, 2026</time>
{paras}
</article>
<aside><h2>Most read</h2><ul><li><a href="/a">Another story</a></li>
<li><a href="/b">More news</a></li></ul></aside>
</main>
<footer><p>Copyright 2026 The Daily Test. All rights reserved.</p></footer>
</body></html>"""
