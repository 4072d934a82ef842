"""The card on the web: the PNG route, the link from the diff page, og:image/twitter:card."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from PIL import Image

from tests.test_web_fixtures import HOSTILE_IMG, Stories, make_stories
from tracker.web import create_app


@pytest.fixture
def stories(server, tracker) -> Stories:
    return make_stories(server, tracker)


@pytest.fixture
def client(tracker, stories) -> TestClient:
    return TestClient(create_app(tracker))


def _meta(page: str) -> dict[str, str]:
    doc = lxml_html.fromstring(page)
    return {
        (m.get("property") or m.get("name")): m.get("content")
        for m in doc.iter("meta")
        if m.get("property") or m.get("name")
    }


def test_card_png_route(client, stories):
    r = client.get(f"/stories/{stories.fire}/diff/1/2.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert "max-age" in r.headers["cache-control"]
    image = Image.open(io.BytesIO(r.content))
    assert image.size[0] == 1200 and image.size[1] <= 1500 and len(r.content) < 1_000_000
    assert (
        Image.open(
            io.BytesIO(client.get(f"/stories/{stories.fire}/diff/1/2.png?width=600").content)
        ).size[0]
        == 600
    )
    assert client.get(f"/stories/{stories.fire}/diff/1/2.png?width=5000").status_code == 422
    assert client.get(f"/stories/{stories.fire}/diff/1/1.png").status_code == 400
    assert client.get(f"/stories/{stories.fire}/diff/1/9.png").status_code == 404
    assert client.get(f"/stories/{stories.fire}/diff/1/2").status_code == 200  # page unchanged


def test_diff_page_links_the_card_and_previews_as_it(client, stories):
    page = client.get(f"/stories/{stories.fire}/diff/1/2").text
    assert f'href="/stories/{stories.fire}/diff/1/2.png"' in page
    tags = _meta(page)
    assert tags["og:image"] == f"http://testserver/stories/{stories.fire}/diff/1/2.png"
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["twitter:image"] == tags["og:image"]
    assert "3,800" in tags["og:image:alt"] and "4,100" in tags["og:image:alt"]


def test_og_image_uses_the_configured_base_url(client, stories, tracker):
    tracker.settings.web.base_url = "https://news.example.org/tracker/"
    tags = _meta(client.get(f"/stories/{stories.fire}/diff/1/2").text)
    assert (
        tags["og:image"] == f"https://news.example.org/tracker/stories/{stories.fire}/diff/1/2.png"
    )


def test_hostile_text_stays_escaped_in_the_meta_tags(client, stories):
    page = client.get(f"/stories/{stories.xss}/diff/1/2").text
    head = page.split("</head>")[0]
    assert "<script" not in head.lower() and "<img" not in head.lower()
    alt = _meta(page)["og:image:alt"]
    assert HOSTILE_IMG in alt  # the page's text is there, as text (escaped in the markup)
    assert client.get(f"/stories/{stories.xss}/diff/1/2.png").status_code == 200
