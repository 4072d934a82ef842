"""The fingerprint pre-check, skipped per host while it costs more than it spares
(``extract_precheck``). Only CPU may change: every check must decide, and every version and
change must be written, exactly as with the pre-check on every page."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.servers import LocalServer, Route, article_html
from tracker import extract
from tracker.config import Settings
from tracker.extract import ExtractOptions, content_hash, fingerprint_and_extract
from tracker.extract_precheck import MIN_PAGES, Prechecks
from tracker.service import Tracker
from tracker.store import queries as q

A = "http://a.example/story/1"
B = "http://b.example/story/1"


# ---------------------------------------------------------------- the policy


def _observe(p: Prechecks, url: str, *, held: bool, fp_ms: float = 1.0, ex_ms: float = 2.0) -> None:
    p.fingerprinted(url, fp_ms, held)
    p.extracted(url, ex_ms, None)


def test_a_new_host_is_prechecked_until_enough_pages_were_seen() -> None:
    p = Prechecks()
    assert p.worth_it(A)
    for _ in range(MIN_PAGES - 1):
        _observe(p, A, held=False)
    assert p.worth_it(A), "not before MIN_PAGES observations"
    _observe(p, A, held=False)
    assert not p.worth_it(A)
    assert p.worth_it(B), "hosts are judged apart"
    assert p.stats().skipping == 1


def test_text_that_often_holds_keeps_the_precheck() -> None:
    p = Prechecks()
    for i in range(40):
        _observe(p, A, held=i % 2 == 0)  # held on half the pages: 0.5 x 2 ms >= 1 ms
    assert p.worth_it(A)
    for i in range(40):
        _observe(p, B, held=i % 4 == 0)  # a quarter: 0.25 x 2 ms < 1 ms
    assert not p.worth_it(B)


def test_an_expensive_extraction_keeps_the_precheck_unless_text_never_holds() -> None:
    p = Prechecks()
    for i in range(40):  # held one page in ten, but extraction costs 15x the fingerprint
        _observe(p, A, held=i % 10 == 0, fp_ms=1.0, ex_ms=15.0)
    assert p.worth_it(A)


def test_skipping_turns_back_on_when_the_articles_start_to_hold() -> None:
    p = Prechecks()
    for _ in range(MIN_PAGES):
        _observe(p, A, held=False)
    assert not p.worth_it(A)
    turned = None
    for n in range(1, 40):  # pre-check off: whether the article held is what it would spare
        p.extracted(A, 2.0, True)
        if p.worth_it(A):
            turned = n
            break
    assert turned is not None and turned <= 16


def test_forgets_the_least_recently_seen_host() -> None:
    p = Prechecks(max_hosts=1)
    for _ in range(MIN_PAGES):
        _observe(p, A, held=False)
    assert not p.worth_it(A)
    p.worth_it(B)  # A is forgotten
    assert p.worth_it(A)


# ---------------------------------------------------------------- one page


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Prechecks:
    prechecks = Prechecks()
    monkeypatch.setattr(extract, "PRECHECKS", prechecks)
    return prechecks


def _page(n: int, nonce: str) -> bytes:
    paragraphs = [
        f"Rescuers reached {n} more villages on day {n}, the agency said in a statement.",
        "Roads into the valley stayed closed to traffic as the river kept rising.",
        "Officials asked residents of low-lying streets to leave before nightfall.",
    ]
    return article_html("Floods in the valley", paragraphs, noise=nonce).encode()


def test_a_skipped_precheck_reads_the_same_article(fresh: Prechecks) -> None:
    adaptive = ExtractOptions(adaptive_precheck=True)
    plain = ExtractOptions()
    last_fp: str | None = None
    latest: str | None = None
    for n in range(MIN_PAGES + 4):  # the text moves at every fetch
        page = _page(n, str(n))
        fp, article = fingerprint_and_extract(page, "utf-8", A, adaptive, last_fp, latest)
        _, expected = fingerprint_and_extract(page, "utf-8", A, plain, None)
        assert article == expected
        last_fp, latest = fp, content_hash(article)
    assert fp is None, "the host's text always moved: the pre-check is skipped"
    # only the markup moves now: the skipped pre-check reads the article, equal to the last
    fp, article = fingerprint_and_extract(_page(n, "other"), "utf-8", A, adaptive, None, latest)
    assert fp is None and article is not None and content_hash(article) == latest


def test_the_precheck_still_spares_the_extraction_when_it_runs(fresh: Prechecks) -> None:
    options = ExtractOptions(adaptive_precheck=True)
    fp, article = fingerprint_and_extract(_page(1, "a"), "utf-8", A, options, None)
    assert fp is not None and article is not None
    again, none = fingerprint_and_extract(_page(1, "b"), "utf-8", A, options, fp)
    assert again == fp and none is None


# ---------------------------------------------------------------- whole checks


def _history(
    settings: Settings, server: LocalServer, tag: str, prechecks: Prechecks | None = None
) -> list[Any]:
    """Three stories on one host through text edits, markup-only edits and text again; every
    check's outcome and every version and change written."""
    tracker = Tracker(settings)
    tracker.init()
    try:
        paths = [f"/{tag}/{i}" for i in range(3)]
        rounds = [("text", n) for n in range(MIN_PAGES + 3)]
        rounds += [("markup", MIN_PAGES + 2)] * 4 + [("text", 50), ("text", 51)]
        ids: list[int] = []
        seen: list[Any] = []
        skipping: list[int] = []
        for r, (kind, n) in enumerate(rounds):
            for i, path in enumerate(paths):
                server.routes[path] = Route(body=_page(n + i, f"{kind}-{r}"))
            if not ids:
                ids = [a.story_id for a in tracker.add([server.url(p) for p in paths])]
            seen.append([o.outcome for o in sorted(tracker.check(ids), key=lambda o: o.story_id)])
            if prechecks is not None:
                skipping.append(prechecks.stats().skipping)
        for sid in ids:
            seen += [(v.number, v.content_sha256) for v in tracker.store.read(q.versions, sid)]
            seen += [
                (c.from_version, c.to_version, c.change_class, c.summary, c.report)
                for c in tracker.store.read(q.changes, story_id=sid)
            ]
        return [skipping, *seen]
    finally:
        tracker.close()


def test_checks_write_the_same_history_with_and_without_the_adaptive_precheck(
    settings: Settings, tmp_path: Path, server: LocalServer, fresh: Prechecks
) -> None:
    adaptive = copy.deepcopy(settings)
    adaptive.extract.adaptive_precheck = True
    plain = make_settings(f"sqlite:///{tmp_path / 'plain.db'}")
    plain.extract.adaptive_precheck = False
    skipping, *skipped = _history(adaptive, server, "adaptive", fresh)
    assert skipping[MIN_PAGES + 2] == 1, "the text moved at every check: pre-check skipped"
    _, *expected = _history(plain, server, "plain")
    assert skipped == expected
    outcomes = [o for o in skipped if isinstance(o, list)]
    assert outcomes[0] == ["first_version"] * 3
    assert outcomes[MIN_PAGES + 3 : MIN_PAGES + 7] == [["unchanged"] * 3] * 4
    assert outcomes[-1] == ["new_version"] * 3


def test_a_worker_keys_no_sentences_for_an_article_that_held(fresh: Prechecks) -> None:
    from tracker.workers import extract_for_check

    options = ExtractOptions(adaptive_precheck=True)
    for _ in range(MIN_PAGES):  # teach the host that its text always moves
        fresh.fingerprinted(A, 1.0, False)
        fresh.extracted(A, 1.5, None)
    first = extract_for_check(_page(1, "a"), "utf-8", A, options, None)
    assert first.fingerprint is None and first.article is not None and first.keyed
    latest = content_hash(first.article)
    held = extract_for_check(_page(1, "b"), "utf-8", A, options, None, False, latest)
    assert held.article == first.article and held.keyed is None and held.keyframe is None
    moved = extract_for_check(_page(2, "b"), "utf-8", A, options, None, False, latest)
    assert moved.article != first.article and moved.keyed


def test_a_skipped_precheck_forgets_the_stale_fingerprint(
    tracker: Tracker, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text T1 (fingerprinted), T2 read with the pre-check skipped, then T1 again with the
    pre-check back on: the story's fingerprint must not still be T1's, or the revert to T1
    would pass for an unchanged page."""
    server.routes["/s"] = Route(body=_page(1, "a"))
    (added,) = tracker.add([server.url("/s")])
    sid = added.story_id
    assert [o.outcome for o in tracker.check([sid])] == ["first_version"]
    url = server.url("/s")
    skipping = Prechecks()
    for _ in range(MIN_PAGES):  # the host's text always moved: the pre-check is skipped
        skipping.fingerprinted(url, 1.0, False)
        skipping.extracted(url, 1.5, None)
    monkeypatch.setattr(extract, "PRECHECKS", skipping)
    server.routes["/s"] = Route(body=_page(2, "b"))
    assert [o.outcome for o in tracker.check([sid])] == ["new_version"]
    monkeypatch.setattr(extract, "PRECHECKS", Prechecks())  # back on
    server.routes["/s"] = Route(body=_page(1, "c"))
    (outcome,) = tracker.check([sid])
    assert outcome.outcome == "new_version"
    assert [v.number for v in tracker.store.read(q.versions, sid)] == [1, 2, 3]
