"""The desk in a real browser (Debian's Chromium driven by Playwright), no JavaScript: log in,
add a story by form, follow it, add an email destination (a local aiosmtpd), check the story
after an edit, and the alert reaches that inbox only; logging out ends the session.

Skips when Playwright or Chromium is missing. With TRACKER_SCREENSHOTS=1 it also saves
docs/screenshots/desk-*.png for docs/desk.md.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

from tests.desk_helpers import PASSWORD, person
from tests.servers import article_html
from tests.test_browser import ARGS, CHROMIUM, SCREENSHOTS, _page, serving
from tests.test_notify_channels import SmtpSink
from tests.test_notify_pipeline import PARAS, deliver_now
from tracker.store import desk as dk
from tracker.store import people

pytestmark = pytest.mark.browser
SHOTS = bool(os.environ.get("TRACKER_SCREENSHOTS"))


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    s = SmtpSink()
    s.controller.start()
    yield s
    s.controller.stop()


@pytest.fixture
def playwright_api():  # type: ignore[no-untyped-def]
    import shutil
    from pathlib import Path

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (set TRACKER_CHROMIUM)")
    return sync_api


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"desk-{name}.png"), full_page=True)


def _in_thread(fn):  # type: ignore[no-untyped-def]
    """Run ``fn`` off this thread: Playwright's sync API keeps an event loop on it."""
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join(60)
    return out[0]


def test_desk_in_chromium_login_add_follow_alert_logout(
    playwright_api, server, tracker, smtp
) -> None:  # type: ignore[no-untyped-def]
    tracker.settings.web.desk_private_destinations = True
    person(tracker, "ana", "editor", display_name="Ana Reyes", tz="Europe/Berlin")
    person(tracker, "vic", "viewer")
    url = server.page("/storm", article_html("Storm hits coast", PARAS))
    # Vic subscribes to the stories he follows (none): the edit must not reach him.
    vic = tracker.store.read(people.user_by_name, "vic")
    vic_mail = f"mailto://127.0.0.1:{smtp.port}?from=alerts@example.org&to=vic@example.org"
    d = tracker.store.write(
        dk.add_destination, vic.id, name="mail", kind="apprise", url=vic_mail, now=tracker.clock()
    )
    tracker.store.write(dk.subscribe, vic.id, d.id, dk.Rules(min_class="cosmetic"), tracker.clock())
    with serving(tracker) as base, playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page, events = _page(browser)
        page.goto(f"{base}/desk/login")
        _shot(page, "login")
        page.fill("input[name=name]", "ana")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Log in')")
        assert page.url.endswith("/desk") and "Ana Reyes" in page.content()

        page.goto(f"{base}/desk/add")
        page.fill("textarea[name=urls]", url)
        page.fill("input[name=labels]", "weather, coast")
        page.uncheck("input[name=follow]")
        page.click("button:has-text('Add')")
        assert "1 added" in page.content()
        [story] = tracker.stories()
        _shot(page, "add")

        page.goto(f"{base}/desk")
        page.click(f"button[name=follow][value='{story.id}']")
        assert "following story" in page.content()

        page.goto(f"{base}/desk/alerts")
        ana_mail = f"mailto://127.0.0.1:{smtp.port}?from=alerts@example.org&to=ana@example.org"
        page.fill("input[name=name]", "my email")
        page.fill("input[name=url]", ana_mail)
        page.click("button:has-text('Add')")
        page.select_option("select[name=min_class]", "minor")
        page.click("button:has-text('Subscribe')")
        assert "rules for my email saved" in page.content()
        page.click("button:has-text('Send test')")
        assert "the service answered" in page.content()
        _shot(page, "alerts")
        smtp.messages.clear()

        page.goto(f"{base}/desk")
        page.click("summary:has-text('Edit')")
        page.click("button:has-text('Check now')")
        assert "first_version" in page.content()
        new = [PARAS[0], PARAS[1].replace("12,000", "48,000"), *PARAS[2:]]
        server.page("/storm", article_html("Storm batters coast, thousands without power", new))
        page.click("summary:has-text('Edit')")
        page.click("button:has-text('Check now')")
        assert "new_version" in page.content()
        _shot(page, "mine")

        stats = _in_thread(lambda: deliver_now(tracker))
        assert stats.delivered == 1  # type: ignore[attr-defined]
        assert [m["To"] for m in smtp.messages] == ["ana@example.org"]

        page.click("button:has-text('Log out')")
        assert page.url.endswith("/desk/login")
        response = page.goto(f"{base}/desk")
        assert response is not None and response.status == 401
        assert events["csp"] == [] and events["dialogs"] == 0
        browser.close()
