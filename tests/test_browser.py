"""The pages in a real browser: Debian's Chromium driven by Playwright.

Skips when Playwright or Chromium is missing (CI installs both). With TRACKER_SCREENSHOTS=1
it also saves docs/screenshots/story.png and diff.png.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.servers import article_html
from tests.test_web_fixtures import HOSTILE, HOSTILE_IMG, Stories, make_stories
from tracker.web import create_app

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def playwright_api():  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (set TRACKER_CHROMIUM)")
    return sync_api


@pytest.fixture
def browser(playwright_api, site) -> Iterator[object]:
    # After ``site``: the pipeline's asyncio.run cannot run inside Playwright's event loop.
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def serving(tracker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """uvicorn serving create_app on 127.0.0.1, in a thread; yields the base URL."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(create_app(tracker), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@pytest.fixture
def site(server, tracker) -> Iterator[tuple[str, Stories]]:
    stories = make_stories(server, tracker)
    with serving(tracker) as base:
        yield base, stories


def _page(browser):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    events = {"dialogs": 0, "csp": []}

    def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
        events["dialogs"] += 1
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "console",
        lambda msg: (
            events["csp"].append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    return page, events


def test_diff_page_highlights_insertions(browser, site):
    base, stories = site
    page, events = _page(browser)
    page.goto(f"{base}/stories/{stories.fire}/diff/1/2")
    inserted = page.locator("ins")
    assert inserted.count() >= 1
    texts = " ".join(inserted.all_inner_texts())
    assert "4,100" in texts and "shelter" in texts
    assert "3,800" in " ".join(page.locator("del").all_inner_texts())
    # The stylesheet loads under the CSP and colours the insertions.
    background = inserted.first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    page.goto(f"{base}/stories/{stories.fire}/diff/1/2?layout=side")
    assert page.locator("ins").count() >= 1
    assert events["csp"] == [] and events["dialogs"] == 0


def test_hostile_text_shows_as_text_and_never_runs(browser, site):
    base, stories = site
    page, events = _page(browser)
    for path in (
        f"/stories/{stories.xss}/diff/1/2",
        f"/stories/{stories.xss}/diff/1/2?layout=side",
        f"/stories/{stories.xss}/versions/2",
        f"/stories/{stories.xss}",
        "/",
    ):
        page.goto(base + path)
        page.wait_for_load_state("load")
        assert page.locator("img").count() == 0, path
        assert page.locator("main script").count() == 0, path
        if "versions" in path or "diff" in path:
            text = page.locator("main").inner_text()
            assert HOSTILE in text, path
            assert HOSTILE_IMG in text, path
    # The raw snapshot is served for download only; it never runs as a page.
    page.goto(f"{base}/stories/{stories.xss}/versions/1/raw?view=text")
    assert HOSTILE.replace("<", "&lt;").replace(">", "&gt;") in page.locator("body").inner_text()
    assert events["dialogs"] == 0
    assert events["csp"] == []


@pytest.mark.skipif(not os.environ.get("TRACKER_SCREENSHOTS"), reason="TRACKER_SCREENSHOTS unset")
def test_screenshots(playwright_api, server, tracker):
    """docs/screenshots/story.png and diff.png, from a story edited over two days."""
    start = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    now = [start]
    tracker.clock = lambda: now[0]
    url = server.page("/storm", article_html(SCREENSHOT_EDITS[0][0], SCREENSHOT_EDITS[0][1]))
    (added,) = tracker.add([url], labels=["weather", "live"])
    for hours, (title, paragraphs) in zip(SCREENSHOT_HOURS, SCREENSHOT_EDITS, strict=True):
        now[0] = start + timedelta(hours=hours)
        server.page("/storm", article_html(title, paragraphs))
        assert tracker.check([added.story_id])[0].outcome in ("first_version", "new_version")
    now[0] = start + timedelta(hours=40)
    with serving(tracker) as base, playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page, events = _page(browser)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.goto(f"{base}/stories/{added.story_id}")
        page.screenshot(path=str(SCREENSHOTS / "story.png"), full_page=True)
        page.goto(f"{base}/stories/{added.story_id}/diff/2/3")
        page.screenshot(path=str(SCREENSHOTS / "diff.png"), full_page=True)
        page.goto(f"{base}/stories/{added.story_id}/diff/2/3?layout=side")
        page.screenshot(path=str(SCREENSHOTS / "diff-side.png"), full_page=True)
        browser.close()
    assert events["csp"] == []


SCREENSHOT_HOURS = [0, 1, 3, 7, 12, 20, 30]
_P = [
    "Storm Elin made landfall on the coast early on Friday with winds of up to 90 mph, "
    "forecasters said.",
    "About 20,000 homes are without power, the regional grid operator said.",
    '"Stay indoors unless your journey is essential," said Chief Constable Mark Reyes.',
    "Rail services between Portmouth and Easton have been suspended until further notice.",
    "This is a developing story and will be updated.",
]
SCREENSHOT_EDITS = [
    ("Storm Elin makes landfall", _P),
    ("Storm Elin makes landfall", [_P[0], _P[1].replace("20,000", "35,000"), *_P[2:]]),
    (
        "Storm Elin: thousands without power as rail services halted",
        [
            _P[0],
            _P[1].replace("20,000", "48,000") + " Engineers expect most to be reconnected "
            "by Saturday evening.",
            _P[3],
            _P[2],
            "Two people were taken to hospital after a tree fell on a car in Westbury.",
            _P[4],
        ],
    ),
    (
        "Storm Elin: thousands without power as rail services halted",
        [
            _P[0],
            _P[1].replace("20,000", "48,000") + " Engineers expect most to be reconnected "
            "by Saturday evening.",
            _P[3],
            _P[2],
            "Three people were taken to hospital after a tree fell on a car in Westbury.",
            _P[4],
        ],
    ),
    (
        "Storm Elin: one dead and thousands without power",
        [
            _P[0],
            "A man in his 60s died after being struck by debris in Easton, police said.",
            _P[1].replace("20,000", "41,000"),
            _P[3],
            _P[2],
            "Three people were taken to hospital after a tree fell on a car in Westbury.",
            _P[4],
        ],
    ),
    (
        "Storm Elin: one dead and thousands without power",
        [
            _P[0],
            "A man in his 60s died after being struck by debris in Easton, police said.",
            _P[1].replace("20,000", "12,000"),
            _P[3].replace("have been suspended until further notice", "resumed on Saturday"),
            _P[2],
            "Three people were taken to hospital after a tree fell on a car in Westbury.",
        ],
    ),
    (
        "Storm Elin: one dead and thousands without power",
        [
            _P[0],
            "A man in his 60s died after being struck by debris in Easton, police said.",
            _P[1].replace("20,000", "12,000"),
            _P[3].replace("have been suspended until further notice", "resumed on Saturday"),
            _P[2].replace("Chief Constable", "Chief Const."),
            "Three people were taken to hospital after a tree fell on a car in Westbury.",
        ],
    ),
]
