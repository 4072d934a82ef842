"""The sentence index and the search, one suite run on SQLite and on PostgreSQL (``db_url``).

Versions are written the way a check writes them (``record_check``), so the index is tested
where it is maintained: in the version's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tracker import revision
from tracker.errors import UsageError
from tracker.records import Article
from tracker.searchquery import parse
from tracker.store import Store, db, history, search_index
from tracker.store import queries as q
from tracker.store import sentences as idx
from tracker.store.checks import (
    CheckRecord,
    CheckRow,
    NewChange,
    NewVersion,
    StoryUpdate,
    record_check,
)
from tracker.store.copy import copy_archive
from tracker.store.models import Sentence, SentenceProgress

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
A = "Fire broke out at the central station on Monday."
B = "Two people were taken to hospital, the fire service said."
C = "The mayor, Hélène Dupré, visited the site."
D = "Trains are running again on all lines."


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine: Engine = db.make_engine(db_url)
    db.migrate(engine)
    yield db.session_factory(engine)
    engine.dispose()


def story(factory: sessionmaker[Session], url: str, labels: tuple[str, ...] = ()) -> int:
    with db.transaction(factory) as s:
        sid, _ = q.add_story(s, url, now=T0, interval_s=600, labels=labels)
    return sid


def write(
    factory: sessionmaker[Session],
    sid: int,
    at: datetime,
    title: str,
    *paragraphs: str,
    unpublished: bool = False,
) -> int | None:
    """One new version (and, after the first, the change to it), recorded as a check does."""
    art = Article(title, "", None, None, tuple(paragraphs))
    change = None
    with factory() as s:
        previous = q.recent_content_hashes(s, sid, 1)
        if previous:  # the change with its real report, as the check would store it
            n = previous[0][0]
            before = q.version_article(s, sid, n)
            was_gone = q.version(s, sid, n).unpublished
            report = revision.compare(
                before, art, old_unpublished=was_gone, new_unpublished=unpublished
            )
            stored = revision.compact_report(report)
            change = NewChange(n, report.change_class, report.summary, stored)
    sha = hashlib.sha256(repr((title, paragraphs, unpublished)).encode()).hexdigest()
    rec = CheckRecord(
        story_id=sid,
        at=at,
        check=CheckRow(outcome="new_version", worker=None),
        story=StoryUpdate(
            checked_at=at,
            state="developing",
            interval_s=600,
            next_check_at=at,
            consecutive_failures=0,
        ),
        version=NewVersion(
            art,
            sha,
            body=None if unpublished else art.text.encode(),
            final_url=None,
            status_code=404 if unpublished else 200,
            headers=None,
            fetched_at=at,
            unpublished=unpublished,
        ),
        change=change,
    )
    with db.transaction(factory) as s:
        return record_check(s, rec)


def find(factory: sessionmaker[Session], text: str, **filters: object) -> list[idx.SentenceHit]:
    with factory() as s, s.begin():  # what every search does first (store/search_index.py)
        idx.index_pending_search(s)
    with factory() as s:
        listing = idx.search(s, parse(text), idx.SearchFilter(**filters), limit=100)  # type: ignore[arg-type]
    assert listing.total == len(listing.items)
    return listing.items


def spans(hits: list[idx.SentenceHit]) -> list[tuple[str, int, int, bool]]:
    return [(h.text, h.first_version, h.last_version, h.present) for h in hits]


@pytest.fixture
def fire(factory: sessionmaker[Session]) -> int:
    """v1: A B C; v2: B dropped, D added, new title; v3: B is back; v4: C dropped."""
    sid = story(factory, "https://news.example/fire", labels=("europe",))
    write(factory, sid, T0, "Fire at the station", A, f"{B} {C}")
    write(factory, sid, T0 + timedelta(hours=1), "Station fire: two hurt", A, C, D)
    write(factory, sid, T0 + timedelta(hours=2), "Station fire: two hurt", A, B, C, D)
    write(factory, sid, T0 + timedelta(hours=3), "Station fire: two hurt", A, B, D)
    return sid


def test_each_sentence_has_the_span_of_versions_that_carried_it(
    factory: sessionmaker[Session], fire: int
) -> None:
    assert spans(find(factory, "hospital")) == [(B, 1, 4, True)]  # left in v2, back in v3
    (mayor,) = find(factory, "mayor")
    assert spans([mayor]) == [(C, 1, 3, False)]
    assert mayor.removed_version == 4 and mayor.removed_at == T0 + timedelta(hours=3)
    (trains,) = find(factory, "trains")
    assert (trains.first_version, trains.first_at, trains.present) == (
        2,
        T0 + timedelta(hours=1),
        True,
    )
    titles = find(factory, "station fire")
    assert [
        (h.kind, h.text, h.first_version, h.last_version) for h in titles if h.kind == "title"
    ] == [
        ("title", "Station fire: two hurt", 2, 4),
        ("title", "Fire at the station", 1, 1),
    ]
    assert all(h.title == "Station fire: two hurt" and h.story_id == fire for h in titles)


def test_a_new_version_writes_only_what_its_edit_touched(
    factory: sessionmaker[Session], fire: int
) -> None:
    with factory() as s:
        before = s.scalar(select(func.count()).select_from(Sentence))
    write(factory, fire, T0 + timedelta(hours=4), "Station fire: two hurt", A, B, D, "One more.")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Sentence)) == (before or 0) + 1
        assert s.get(SentenceProgress, fire).version == 5  # type: ignore[union-attr]


def test_case_accents_phrases_or_exclusion_and_prefix(
    factory: sessionmaker[Session], fire: int
) -> None:
    assert [h.text for h in find(factory, "HELENE dupre")] == [C]
    assert [h.text for h in find(factory, "Hélène")] == [C]
    assert [h.text for h in find(factory, '"central station"')] == [A]
    assert find(factory, '"station central"') == []
    assert sorted(h.text for h in find(factory, "trains OR mayor")) == sorted([C, D])
    assert [h.text for h in find(factory, "fire -station")] == [B]
    assert sorted(h.text for h in find(factory, "hosp* OR visit*")) == sorted([B, C])
    assert [h.text for h in find(factory, '"the fire serv*"')] == [B]


def test_removed_present_and_the_other_filters(factory: sessionmaker[Session], fire: int) -> None:
    other = story(factory, "https://news.example/other", labels=("asia",))
    write(factory, other, T0 + timedelta(days=2), "Another fire", "A fire in the hills.")
    assert {h.text for h in find(factory, "fire", present=False)} == {"Fire at the station"}
    present = find(factory, "fire", present=True)
    assert "Fire at the station" not in {h.text for h in present} and len(present) == 5
    assert {h.story_id for h in find(factory, "fire", labels=("asia",))} == {other}
    assert {h.story_id for h in find(factory, "fire", labels=("asia", "europe"))} == {fire, other}
    assert {h.story_id for h in find(factory, "fire", story_id=fire)} == {fire}
    # since/until: the text appeared or vanished in the window.
    late = find(factory, "fire", since=T0 + timedelta(days=1))
    assert {h.text for h in late} == {"Another fire", "A fire in the hills."}
    window = find(
        factory, "mayor OR station", since=T0 + timedelta(hours=3), until=T0 + timedelta(days=1)
    )
    assert [h.text for h in window] == [C]  # removed in v4, at 15:00
    # newest first: by when the text appeared or vanished
    assert [h.text for h in find(factory, "fire")][:2] == ["A fire in the hills.", "Another fire"]


def test_paging_and_totals(factory: sessionmaker[Session], fire: int) -> None:
    with factory() as s, s.begin():
        idx.index_pending_search(s)
    with factory() as s:
        page = idx.search(s, parse("fire"), limit=2, offset=1)
        everything = idx.search(s, parse("fire"), limit=100)
    assert page.total == len(everything.items) == 4
    assert page.items == everything.items[1:3]


def test_unpublishing_closes_every_span_and_a_return_reopens_them(
    factory: sessionmaker[Session], fire: int
) -> None:
    write(factory, fire, T0 + timedelta(hours=5), "", unpublished=True)
    assert find(factory, "fire", present=True) == []
    write(factory, fire, T0 + timedelta(hours=6), "Station fire: two hurt", A, B, D)
    assert spans(find(factory, "central")) == [(A, 1, 6, True)]


def test_reindex_builds_what_the_checks_would_have_and_resumes(
    factory: sessionmaker[Session], fire: int
) -> None:
    expected = {h.text: spans([h]) for h in find(factory, "fire OR mayor OR trains")}
    old = story(factory, "https://news.example/old")
    with db.transaction(factory) as s:  # versions from before the index existed
        for n, paras in enumerate([(A, B), (A,), (A, D)], start=1):
            art = Article("Old story", "", None, None, paras)
            history.add_version(
                s,
                story_id=old,
                article=art,
                content_sha256=str(n),
                now=T0 + timedelta(minutes=n),
                snapshot_id=None,
                final_url=None,
                status_code=200,
                headers=None,
                fetched_at=None,
            )
    # A check of a story the index is behind on leaves it to the reindex...
    write(factory, old, T0 + timedelta(minutes=4), "Old story", A, D, C)
    assert find(factory, "mayor", story_id=old) == []
    with factory() as s:
        assert idx.stories_behind(s) == [old]
        assert idx.index_progress(s) == idx.IndexProgress(stories=2, behind=1)
    with db.transaction(factory) as s:
        assert idx.reindex_story(s, old) == 4
    with db.transaction(factory) as s:
        assert idx.reindex_story(s, old) == 0  # idempotent
        assert idx.stories_behind(s) == []
    assert spans(find(factory, "hospital", story_id=old)) == [(B, 1, 1, False)]
    assert spans(find(factory, "mayor", story_id=old)) == [(C, 4, 4, True)]
    # ...and a rebuild gives the same spans the checks wrote as they went.
    with db.transaction(factory) as s:
        assert idx.reindex_story(s, fire, rebuild=True) == 4
    rebuilt = {h.text: spans([h]) for h in find(factory, "fire OR mayor OR trains", story_id=fire)}
    assert rebuilt == expected


def test_purge_takes_the_index_with_it(factory: sessionmaker[Session], fire: int) -> None:
    with db.transaction(factory) as s:
        q.purge_story(s, fire)
    assert find(factory, "fire OR mayor") == []
    again = story(factory, "https://news.example/again")
    write(factory, again, T0, "Fire", A)
    assert [h.story_id for h in find(factory, "central")] == [again]


@pytest.mark.parametrize(
    "hostile",
    [
        "NEAR(fire station, 2)",
        "fire:station",
        "^fire",
        "{text norm}: fire",
        "fire' ); DROP TABLE sentence; --",
        'fire "unbalanced',
        "fire AND OR NOT station",
        "fire & !station | (x",
        "fire -",
        "fire *",
        "a" * 300 + " fire",
    ],
)
def test_hostile_queries_are_words_never_syntax(
    factory: sessionmaker[Session], fire: int, hostile: str
) -> None:
    hits = find(factory, hostile)
    assert all("fire" in h.text.lower() for h in hits)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Sentence))  # the table is still there


@pytest.mark.parametrize("empty", ["-", "*", '""', "-fire", "OR", "   ", "!!!"])
def test_a_query_with_nothing_to_find_is_a_usage_error(empty: str) -> None:
    with pytest.raises(UsageError, match="nothing to search for"):
        parse(empty)


def test_a_copied_archive_searches_the_same(
    factory: sessionmaker[Session], fire: int, db_url: str, tmp_path: Path
) -> None:
    """`tracker db copy` carries the index: SQLite's FTS5 takes the copied sentences as
    every search begins (``search_index``)."""
    source = Store(str(factory.kw["bind"].url.render_as_string(hide_password=False)))
    target = Store(f"sqlite:///{tmp_path / 'copy.db'}")
    copy_archive(source, target)
    for store in (source, target):
        search_index.bring_up_to_date(store)
    for query in ("fire", '"central station"', "hosp* -mayor"):
        here = source.read(idx.search, parse(query), limit=100).items
        there = target.read(idx.search, parse(query), limit=100).items
        assert spans(there) == spans(here) and here, query
    source.close()
    target.close()
