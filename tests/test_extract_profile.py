"""Learned per-host extraction profiles: a host earns trafilatura's fast mode by giving the
full mode's result on its first pages, keeps being verified, and loses it on a disagreement;
the article extracted is the full mode's whenever the two could differ."""

from __future__ import annotations

import pytest

from tests.servers import article_html
from tracker import extract
from tracker.extract import ExtractOptions, extract_from_html
from tracker.extract_profile import Profiles

PARA = (
    "The council voted on Tuesday to extend the curfew in the northern districts by another "
    "week, officials said. "
)
ON = ExtractOptions(learned_profiles=True)
OFF = ExtractOptions(learned_profiles=False)


def _story(i: int) -> str:
    paras = [f"{PARA}Residents of block {i} were told to stay indoors. {PARA}"] * 6
    return article_html(f"Curfew extended in district {i}", paras)


def _divs_only() -> str:
    """Text in bare <div>s: trafilatura's own pass finds nothing, its comparison (readability,
    jusText) finds the article: fast and full modes disagree."""
    divs = "".join(f"<div>{PARA * 2} Update {i}.</div>" for i in range(8))
    return f"<html><body><div class='x'>{divs}</div></body></html>"


def _short_lead_then_divs() -> str:
    """A fast result that is not empty but short (a two-paragraph lead), the rest in <div>s."""
    divs = "".join(f"<div>{PARA * 2} Update {i}.</div>" for i in range(8))
    return (
        f"<html><body><article><p>{PARA}</p><p>{PARA}</p></article>"
        f"<div class='body'>{divs}</div></body></html>"
    )


@pytest.fixture
def profiles(monkeypatch: pytest.MonkeyPatch) -> Profiles:
    fresh = Profiles(learn=3, verify_every=4)
    monkeypatch.setattr(extract, "PROFILES", fresh)
    return fresh


def test_a_host_earns_the_fast_mode_after_agreeing_pages_and_is_verified_again() -> None:
    p = Profiles(learn=3, verify_every=4)
    assert [p.plan("a.example") for _ in range(3)] == ["both"] * 3  # learning: nothing recorded
    for _ in range(3):
        p.record("a.example", agreed=True)
    assert [p.plan("a.example") for _ in range(8)] == ["fast", "fast", "fast", "both"] * 2
    assert p.plan("b.example") == "both", "another host learns for itself"
    assert p.stats().fast_hosts == 1


def test_one_disagreement_sends_the_host_back_to_learning() -> None:
    p = Profiles(learn=2, verify_every=100)
    for _ in range(2):
        p.record("a.example", agreed=True)
    assert p.plan("a.example") == "fast"
    p.record("a.example", agreed=False)
    assert p.plan("a.example") == "both"
    p.record("a.example", agreed=True)
    assert p.plan("a.example") == "both", "the count starts again: one agreement is not enough"
    assert p.stats().disagreements == 1


def test_hosts_beyond_the_cap_are_forgotten_least_recent_first() -> None:
    p = Profiles(learn=1, max_hosts=2)
    for host in ("a", "b", "a", "c"):  # b is the least recently used when c arrives
        p.record(host, agreed=True)
    assert p.stats().hosts == 2
    assert p.plan("a") == "fast"
    assert p.plan("b") == "both"


def test_pages_of_an_agreeing_host_extract_the_same_in_either_mode(profiles: Profiles) -> None:
    url = "https://news.example/story/{}"
    got = [extract_from_html(_story(i), url.format(i), ON) for i in range(12)]
    want = [extract_from_html(_story(i), url.format(i), OFF) for i in range(12)]
    assert got == want
    assert profiles.stats().fast_hosts == 1, "the host earned the fast mode"


def test_a_page_only_the_full_mode_reads_is_read_in_full_even_on_a_fast_host(
    profiles: Profiles,
) -> None:
    url = "https://news.example/story/{}"
    for i in range(3):
        extract_from_html(_story(i), url.format(i), ON)
    assert profiles.plan("news.example") == "fast"  # one fast turn used up by this look

    for page in (_divs_only(), _short_lead_then_divs()):
        fast_host = extract_from_html(page, url.format("x"), ON)
        assert fast_host == extract_from_html(page, url.format("x"), OFF)
        assert sum(len(p) for p in fast_host.paragraphs) > 1000, fast_host.paragraphs


def test_a_disagreeing_page_while_learning_keeps_the_host_in_full_mode(
    profiles: Profiles,
) -> None:
    url = "https://mixed.example/{}"
    extract_from_html(_story(1), url.format(1), ON)
    art = extract_from_html(_short_lead_then_divs(), url.format(2), ON)
    assert art == extract_from_html(_short_lead_then_divs(), url.format(2), OFF)
    assert profiles.stats().disagreements == 1
    for i in range(3, 5):
        extract_from_html(_story(i), url.format(i), ON)
    assert profiles.plan("mixed.example") == "both", "two agreements since: still learning"


def test_the_setting_reaches_the_options() -> None:
    from tracker.config import ExtractSettings

    assert extract.extract_options(ExtractSettings(), "https://x/").learned_profiles is True
    off = ExtractSettings(learned_profiles=False)
    assert extract.extract_options(off, "https://x/").learned_profiles is False
