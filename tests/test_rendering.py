"""Pages built by JavaScript, rendered in the real Chromium (issue 15).

Every page is served on 127.0.0.1 by ``LocalServer``; the browser is Debian's Chromium
(``TRACKER_CHROMIUM``). The tests skip when Playwright or Chromium is missing.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest

from tests.conftest import make_settings
from tests.servers import LocalServer, Route, article_html
from tracker.check.render_policy import embedded_text_chars, thin_reason
from tracker.check.runner import CheckRunner
from tracker.config import Settings
from tracker.fetch import Fetcher
from tracker.records import CheckOutcome
from tracker.service import Tracker
from tracker.store import queries as q
from tracker.store.snapshots import sha256_hex

CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
PARAS = [
    f"Paragraph {i} says the river rose by {i * 7} centimetres overnight, and officials "
    "expect more rain in the coming days across the whole valley."
    for i in range(8)
]
BUILD = """
function build(paras) {
  const a = document.createElement('article');
  a.innerHTML = '<h1>River floods the valley</h1><p class="byline">By Jane Reporter</p>'
    + paras.map(p => '<p>' + p + '</p>').join('');
  document.getElementById('app').replaceWith(a);
}
"""


def _paras_json(delay: float) -> Route:
    """The article's paragraphs as a JSON endpoint that answers after ``delay`` seconds."""
    body = json.dumps({"paras": PARAS}).encode()
    return Route(body=body, headers={"Content-Type": "application/json"}, delay=delay)


def shell(script: str, head: str = "", body: str = "Loading…") -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Flood | Test</title>"
        f"{head}</head><body><div id='app'>{body}</div><script>{BUILD}{script}</script>"
        "</body></html>"
    )


@pytest.fixture
def chromium() -> str:
    pytest.importorskip("playwright.async_api", reason="playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (set TRACKER_CHROMIUM)")
    return CHROMIUM


@pytest.fixture
def rsettings(sqlite_url: str, chromium: str) -> Settings:
    return make_settings(sqlite_url, chromium_path=chromium, render_timeout=8.0)


def start(settings: Settings) -> Tracker:
    t = Tracker(settings)
    t.init()
    return t


def check(
    t: Tracker,
    urls: Sequence[str],
    *,
    guard: bool | None = None,
    during: object = None,
) -> tuple[list[CheckOutcome], bool]:
    """Check ``urls`` with one runner; the outcomes (in URL order) and whether it started a
    browser. ``during`` (a coroutine function) runs beside the checks."""
    ids = [t.store.read(q.story_by_url, u).id for u in urls]

    async def run() -> tuple[list[CheckOutcome], bool]:
        async with Fetcher(t.settings.fetch, guard=guard) as fetcher:
            runner = CheckRunner(t.settings, t.store, fetcher)
            try:
                side = asyncio.create_task(during()) if callable(during) else None  # type: ignore[arg-type]
                outcomes = await runner.check(ids)
                if side is not None:
                    await side
                return outcomes, runner.rendering.browser_started
            finally:
                await runner.aclose()

    outcomes, started = asyncio.run(run())
    by_id = {o.story_id: o for o in outcomes}
    return [by_id[i] for i in ids], started


def test_a_script_inserted_article_is_rendered_and_both_pages_kept(
    rsettings: Settings, server: LocalServer
) -> None:
    html = shell(
        f"document.addEventListener('DOMContentLoaded', () => build({json.dumps(PARAS)}));"
    )
    url = server.page("/spa", html)
    t = start(rsettings)
    t.add([url])
    [out], started = check(t, [url])
    assert out.outcome == "first_version", out
    assert started
    v = t.store.read(q.version, out.story_id)
    assert v.rendered and v.rendered_snapshot_id is not None
    text = t.store.read(q.version_article, out.story_id, 1).text
    assert PARAS[0] in text and PARAS[7] in text
    static, sha = t.store.read(q.snapshot_bytes, v.snapshot_id)
    assert static == html.encode() and sha == sha256_hex(static)
    dom, dom_sha = t.store.read(q.snapshot_bytes, v.rendered_snapshot_id)
    assert PARAS[3].encode() in dom and dom_sha == sha256_hex(dom)
    assert server.hits["/spa"] == 1  # the browser was handed the static response
    t.close()


def test_text_loaded_from_a_json_endpoint_after_load(
    rsettings: Settings, server: LocalServer
) -> None:
    script = (
        "window.addEventListener('load', () => fetch('/api/story.json')"
        ".then(r => r.json()).then(d => build(d.paras)));"
    )
    url = server.page("/live", shell(script))
    server.routes["/api/story.json"] = _paras_json(delay=0.3)
    t = start(rsettings)
    t.add([url])
    [out], _ = check(t, [url])
    assert out.outcome == "first_version", out
    assert PARAS[5] in t.store.read(q.version_article, out.story_id, 1).text
    assert server.hits["/api/story.json"] == 1
    # The endpoint's text changes: the next check renders again and sees it.
    server.routes["/api/story.json"].body = json.dumps(
        {"paras": [*PARAS, "A new paragraph says the dam held through the night."]}
    ).encode()
    [out2], _ = check(t, [url])
    assert out2.outcome == "new_version", out2
    assert "the dam held" in t.store.read(q.version_article, out.story_id, 2).text
    t.close()


def next_data_page() -> str:
    data = {"props": {"pageProps": {"story": {"title": "River floods", "paras": PARAS}}}}
    teaser = "<article><h1>River floods the valley</h1><p>" + PARAS[0] + "</p></article>"
    head = f"<script id='__NEXT_DATA__' type='application/json'>{json.dumps(data)}</script>"
    hydrate = (
        "document.addEventListener('DOMContentLoaded', () => build(JSON.parse("
        "document.getElementById('__NEXT_DATA__').textContent).props.pageProps.story.paras));"
    )
    return shell(hydrate, head=head, body=teaser)


def test_next_data_hydration_longer_than_the_static_article_is_rendered(
    rsettings: Settings, server: LocalServer
) -> None:
    html = next_data_page()
    assert thin_reason(html.encode(), len(PARAS[0])) is not None
    url = server.page("/next", html)
    t = start(rsettings)
    t.add([url])
    [out], started = check(t, [url])
    assert out.outcome == "first_version", out
    assert started
    text = t.store.read(q.version_article, out.story_id, 1).text
    assert PARAS[6] in text
    assert t.store.read(q.version, out.story_id).rendered
    t.close()


def test_embedded_text_measures_json_ld_and_hydration_data() -> None:
    body = "x " * 900
    ld = json.dumps({"@type": "NewsArticle", "articleBody": body})
    page = f"<script type='application/ld+json'>{ld}</script>".encode()
    assert embedded_text_chars(page) == len(body.strip())
    assert thin_reason(page, 300) is None if len(body) < 600 else thin_reason(page, 300)
    assert thin_reason(page, 1700) is None
    assert embedded_text_chars(b"<script>var a = 1;</script>") == 0


def test_auto_on_static_pages_never_starts_the_browser(
    rsettings: Settings, server: LocalServer
) -> None:
    url = server.page("/static", article_html("Quiet news", PARAS))
    t = start(rsettings)
    t.add([url])
    [out], started = check(t, [url])
    assert out.outcome == "first_version"
    assert not started
    assert not t.store.read(q.version, out.story_id).rendered
    t.close()


def test_an_endless_script_fails_its_check_and_the_others_go_on(
    sqlite_url: str, chromium: str, server: LocalServer
) -> None:
    settings = make_settings(sqlite_url, chromium_path=chromium, render_timeout=3.0)
    loop = server.page("/loop", shell("while (true) {}"))
    spa = server.page(
        "/spa", shell(f"document.addEventListener('DOMContentLoaded', () => build({PARAS!r}));")
    )
    t = start(settings)
    t.add([loop], render="always")
    t.add([spa])
    [bad, good], _ = check(t, [loop, spa])
    assert bad.outcome == "failed" and bad.error_kind == "render_timeout", bad
    assert "3s" in (bad.error or "")
    assert good.outcome == "first_version", good
    t.close()


def test_auto_keeps_the_static_article_when_rendering_never_finishes(
    sqlite_url: str, chromium: str, server: LocalServer
) -> None:
    """A real page whose static article looks thin next to its JSON-LD, with scripts that
    never settle: auto may try the browser, but a failed rendering must not fail a check
    the static page could answer (the corpus found this), nor be retried on every check."""
    settings = make_settings(sqlite_url, chromium_path=chromium, render_timeout=2.0)
    body = " ".join(PARAS) * 3
    jsonld = json.dumps({"@type": "NewsArticle", "articleBody": body})
    page = article_html("River floods the valley", PARAS[:2]).replace(
        "</head>",
        f'<script type="application/ld+json">{jsonld}</script>'
        "<script>while (true) {}</script></head>",
    )
    url = server.page("/thin", page)
    t = start(settings)
    t.add([url])
    [out], started = check(t, [url])
    assert started, "auto tried the browser: the static text is far shorter than articleBody"
    assert out.outcome == "first_version", out
    [row] = t.store.read(q.checks, out.story_id)  # the check went through, with a note
    assert row.error_kind == "render_timeout", row
    assert "static page is kept" in (row.error or ""), row.error
    assert PARAS[1] in t.store.read(q.version_article, out.story_id, 1).text
    assert not t.store.read(q.version, out.story_id).rendered
    t.close()


def test_the_host_is_not_rendered_again_right_after_a_failed_rendering(
    sqlite_url: str, chromium: str, server: LocalServer
) -> None:
    settings = make_settings(sqlite_url, chromium_path=chromium, render_timeout=2.0)
    thin = article_html("River floods the valley", PARAS[:2]).replace(
        "</head>",
        '<script type="application/ld+json">'
        + json.dumps({"articleBody": " ".join(PARAS) * 3})
        + "</script><script>while (true) {}</script></head>",
    )
    urls = [server.page(f"/thin{i}", thin.replace("valley", f"valley {i}")) for i in range(3)]
    t = start(settings)
    t.add(urls)
    ids = [t.store.read(q.story_by_url, u).id for u in urls]

    async def run() -> tuple[list[CheckOutcome], int]:
        async with Fetcher(t.settings.fetch) as fetcher:
            runner = CheckRunner(t.settings, t.store, fetcher)
            try:
                outcomes = [o for i in ids for o in await runner.check([i])]
                return outcomes, runner.rendering.renderer.launches
            finally:
                await runner.aclose()

    outcomes, launches = asyncio.run(run())
    assert [o.outcome for o in outcomes] == ["first_version"] * 3, outcomes
    kinds = [t.store.read(q.checks, i)[0].error_kind for i in ids]
    assert kinds == ["render_timeout", None, None], kinds
    assert launches == 1
    t.close()


def test_a_loopback_subresource_is_refused_when_the_guard_is_on(
    sqlite_url: str, chromium: str, server: LocalServer
) -> None:
    settings = make_settings(sqlite_url, chromium_path=chromium, render_timeout=8.0)
    settings.fetch.allow_private_addresses = False  # the guard on, for the browser's requests
    script = "fetch('/api/story.json').then(r => r.json()).then(d => build(d.paras));"
    url = server.page("/guarded", shell(script, body=""))
    server.routes["/api/story.json"] = _paras_json(delay=0.0)
    t = start(settings)
    t.add([url], render="always")
    # The static fetch goes unguarded (the test's seam: the page itself is
    # on loopback); everything the browser asks for goes through the guard.
    [out], _ = check(t, [url], guard=False)
    assert out.outcome == "failed", out
    assert "refused 127.0.0.1" in (out.error or ""), out.error
    assert server.hits["/api/story.json"] == 0
    # A page that builds its article itself but also asks loopback: the check goes through
    # and its row says what was refused.
    both = server.page("/both", shell(f"build({PARAS!r}); {script}"))
    t.add([both], render="always")
    [ok], _ = check(t, [both], guard=False)
    assert ok.outcome == "first_version", ok
    row = t.store.read(q.checks, ok.story_id)[0]
    assert row.error_kind == "render_blocked" and "refused 127.0.0.1" in (row.error or "")
    assert server.hits["/api/story.json"] == 0
    t.close()


def _kill_browser() -> int:
    """Kill this process's Chromium (the browser process, not its renderers)."""
    killed = 0
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name().lower() and "--type=" not in " ".join(proc.cmdline()):
                proc.kill()
                killed += 1
        except psutil.Error:
            continue
    return killed


def test_the_browser_killed_mid_check_fails_that_check_and_the_next_ones_render(
    rsettings: Settings, server: LocalServer
) -> None:
    script = "fetch('/api/slow.json').then(r => r.json()).then(d => build(d.paras));"
    slow = server.page("/slow", shell(script))
    server.routes["/api/slow.json"] = _paras_json(delay=3.0)
    t = start(rsettings)
    t.add([slow], render="always")

    async def kill_when_waiting() -> None:
        for _ in range(200):
            if server.hits["/api/slow.json"]:
                break
            await asyncio.sleep(0.05)
        assert _kill_browser() >= 1

    [out], _ = check(t, [slow], during=kill_when_waiting)
    assert out.outcome == "failed", out
    assert out.error_kind in ("render_crashed", "render_failed"), out
    server.routes["/api/slow.json"].delay = 0.0
    [again], _ = check(t, [slow])
    assert again.outcome == "first_version", again
    t.close()


def test_no_browser_auto_degrades_with_a_reason_and_always_fails(
    sqlite_url: str, server: LocalServer
) -> None:
    settings = make_settings(sqlite_url, chromium_path="/nonexistent/chromium")
    thin = server.page("/next", next_data_page())
    shell_only = server.page("/shell", shell("build([]);", body=""))
    must = server.page("/must", next_data_page() + " ")
    t = start(settings)
    t.add([thin, shell_only])
    t.add([must], render="always")
    [a, b, c], _ = check(t, [thin, shell_only, must])
    assert a.outcome == "first_version", a  # the static article stands
    rows = t.store.read(q.checks, a.story_id)
    assert rows[0].error_kind == "render_unavailable"
    assert b.outcome == "failed" and b.error_kind == "render_unavailable", b
    assert c.outcome == "failed" and c.error_kind == "render_unavailable", c
    assert "cannot start Chromium" in (c.error or "")
    t.close()


def test_render_mode_is_stored_per_story_and_refused_when_unknown(tracker: Tracker) -> None:
    from tracker.errors import UsageError

    tracker.add(["http://127.0.0.1:9/a"], render="never")
    assert tracker.store.read(q.story_by_url, "http://127.0.0.1:9/a").render == "never"
    tracker.add(["http://127.0.0.1:9/a"])  # not given: kept
    assert tracker.store.read(q.story_by_url, "http://127.0.0.1:9/a").render == "never"
    with pytest.raises(UsageError):
        tracker.add(["http://127.0.0.1:9/b"], render="sometimes")
