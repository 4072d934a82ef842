"""The sentence index: every distinct sentence and title of a story, with the span of
versions that carried it, and the full-text search over it.

**Written with the version.** ``record_check`` calls :func:`index_version` in its own
transaction. A new version reads the story's open spans (one indexed query), inserts only
the sentences that are new, reopens the ones that came back and closes the spans of the
ones it dropped: the writes are proportional to the edit, not to the article. A tombstone
(an unpublished version) carries no text, so it closes every span.

**Resumable.** ``sentence_progress`` says how far each story is indexed. A version is
indexed as it is written only when the versions before it are; otherwise (a database from
before the index) :func:`reindex_story` catches the story up, version by version, and
``tracker reindex`` does that for every story that is behind, one transaction per story.

**Search.** The query (:mod:`tracker.searchquery`) is folded and translated; SQLite asks
its FTS5 table ``sentence_fts`` (external content: the words live once, in
``sentence.norm``), PostgreSQL its GIN index on ``to_tsvector('simple', norm)``. Both index
the same folded words, so both give the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, aliased

from tracker.records import Article
from tracker.searchquery import Query, fts5_match, index_text, pg_tsquery
from tracker.sentence_keys import VersionSentences, version_sentences
from tracker.store.history import version_text
from tracker.store.models import (
    Sentence,
    SentenceProgress,
    Story,
    StoryLabel,
    Version,
    table_of,
)
from tracker.store.rows import Listing


@dataclass(frozen=True, slots=True)
class SentenceHit:
    """One search result: a sentence (or title) of a story and the versions that carried it."""

    id: int
    story_id: int
    url: str
    title: str | None  # the story's current title
    kind: str  # "title" or "text"
    text: str
    first_version: int
    first_at: datetime
    last_version: int  # the last version that carried it
    removed_version: int | None  # the first version without it; None while present
    removed_at: datetime | None

    @property
    def present(self) -> bool:
        return self.removed_version is None


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """What narrows a search besides the words."""

    present: bool | None = None  # True: still there; False: removed; None: both
    labels: tuple[str, ...] = ()  # any of them
    story_id: int | None = None
    since: datetime | None = None  # the text appeared or vanished in [since, until)
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class IndexProgress:
    """How much of the archive the sentence index covers."""

    stories: int
    behind: int  # stories with versions not indexed yet


# ---------------------------------------------------------------- writing


def index_version(
    session: Session,
    story_id: int,
    number: int,
    article: Article,
    *,
    unpublished: bool = False,
    keyed: VersionSentences | None = None,
) -> bool:
    """Index version ``number`` if the story's index is at the version before it (the usual
    case); otherwise leave it to ``reindex_story``. True when it was indexed. ``keyed``: the
    article's ``version_sentences``, when the extraction worker made them already."""
    done = session.scalar(_PROGRESS_OF, {"sid": story_id})
    if (done or 0) != number - 1:
        return False
    if keyed is None or unpublished:
        keyed = version_sentences(article, unpublished=unpublished)
    _apply(session, story_id, number, keyed)
    _set_progress(session, story_id, number, exists=done is not None)
    return True


def _apply(session: Session, story_id: int, number: int, now: dict[int, tuple[str, str]]) -> None:
    """Move the story's spans from the previous version to version ``number``."""
    open_rows = dict(session.execute(_OPEN_SENTENCES, {"sid": story_id}).all())
    gone = [sid for key, sid in open_rows.items() if key not in now]
    if gone:
        # only the version number: a row that grows by a timestamp splits its full page
        session.execute(_CLOSE_SPANS, {"ids": gone, "removed": number})
    new = [key for key in now if key not in open_rows]
    if not new:
        return
    back = dict(session.execute(_SENTENCES_BY_HASH, {"sid": story_id, "hashes": new}).all())
    if back:  # sentences that return after a gap: their span reopens
        session.execute(_CLOSE_SPANS, {"ids": list(back.values()), "removed": None})
    rows = [_row(story_id, key, *now[key], number) for key in new if key not in back]
    if rows:
        session.execute(_INSERT_SENTENCE, rows)


def _row(story_id: int, key: int, kind: str, sentence: str, number: int) -> dict[str, object]:
    return {
        "story_id": story_id,
        "kind": kind,
        "hash": key,
        "text": sentence,
        "norm": index_text(sentence),
        "first_version": number,
    }


def _set_progress(session: Session, story_id: int, number: int, *, exists: bool) -> None:
    statement = _PROGRESS_UPDATE if exists else _PROGRESS_INSERT
    session.execute(statement, {"sid": story_id, "version": number})


# The index is written on every new version: Core statements on the tables (the same SQL),
# built once, without the ORM's bulk bookkeeping per statement.
_SENTENCE = table_of(Sentence)
_PROGRESS = table_of(SentenceProgress)
_PROGRESS_UPDATE = (
    update(_PROGRESS)
    .where(_PROGRESS.c.story_id == bindparam("sid"))
    .values(version=bindparam("version"))
)
_PROGRESS_INSERT = insert(_PROGRESS).values(story_id=bindparam("sid"), version=bindparam("version"))
_PROGRESS_OF = select(_PROGRESS.c.version).where(_PROGRESS.c.story_id == bindparam("sid"))
_OPEN_SENTENCES = select(_SENTENCE.c.hash, _SENTENCE.c.id).where(
    _SENTENCE.c.story_id == bindparam("sid"), _SENTENCE.c.removed_version.is_(None)
)
_SENTENCES_BY_HASH = select(_SENTENCE.c.hash, _SENTENCE.c.id).where(
    _SENTENCE.c.story_id == bindparam("sid"),
    _SENTENCE.c.hash.in_(bindparam("hashes", expanding=True)),
)
_CLOSE_SPANS = (  # removed None: the spans reopen
    update(_SENTENCE)
    .where(_SENTENCE.c.id.in_(bindparam("ids", expanding=True)))
    .values(removed_version=bindparam("removed"))
)
_INSERT_SENTENCE = insert(_SENTENCE)


# ---------------------------------------------------------------- reindexing


def stories_behind(session: Session, *, after_id: int = 0, limit: int = 200) -> list[int]:
    """Ids (above ``after_id``, ascending) of stories whose index misses a version."""
    latest = (
        select(Version.story_id, func.max(Version.number).label("n"))
        .group_by(Version.story_id)
        .subquery()
    )
    q = (
        select(latest.c.story_id)
        .outerjoin(SentenceProgress, SentenceProgress.story_id == latest.c.story_id)
        .where(
            latest.c.story_id > after_id,
            or_(SentenceProgress.version.is_(None), SentenceProgress.version < latest.c.n),
        )
        .order_by(latest.c.story_id)
        .limit(limit)
    )
    return list(session.scalars(q))


def index_progress(session: Session) -> IndexProgress:
    """How many stories have versions, and how many of them the index is behind on."""
    stories = session.scalar(select(func.count(func.distinct(Version.story_id)))) or 0
    behind = len(stories_behind(session, limit=stories + 1)) if stories else 0
    return IndexProgress(stories, behind)


def clear_index(session: Session) -> None:
    """Forget the whole index (``tracker reindex --rebuild``); the reindex then starts over."""
    session.execute(delete(SentenceProgress))
    session.execute(delete(Sentence))


def reindex_story(session: Session, story_id: int, *, rebuild: bool = False) -> int:
    """Index the story's versions the index does not cover yet (all of them with
    ``rebuild``); returns how many versions were indexed. Safe to run again."""
    if rebuild:
        session.execute(delete(Sentence).where(Sentence.story_id == story_id))
        session.execute(delete(SentenceProgress).where(SentenceProgress.story_id == story_id))
    done = session.scalar(
        select(SentenceProgress.version).where(SentenceProgress.story_id == story_id)
    )
    rows = session.execute(
        select(Version.number, Version.title, Version.unpublished)
        .where(Version.story_id == story_id, Version.number > (done or 0))
        .order_by(Version.number)
    ).all()
    for r in rows:
        paragraphs = tuple(p for p in version_text(session, story_id, r.number).split("\n\n") if p)
        article = Article(r.title, "", None, None, paragraphs)
        found = version_sentences(article, unpublished=r.unpublished)
        _apply(session, story_id, r.number, found)
    if rows:
        _set_progress(session, story_id, rows[-1].number, exists=done is not None)
    return len(rows)


# ---------------------------------------------------------------- SQLite's full-text index

# Sentences enter SQLite's FTS5 index after their version's transaction, in bulk (migration
# 0012_i17f): a segment per version's transaction cost ~7 ms of a first version under the
# write lock, a bulk insert ~0.4 ms for the same sentences. ``indexed_to`` marks how far it
# goes; nothing above it is in the index.
_PENDING = text(
    "SELECT coalesce(max(id), 0) - (SELECT indexed_to FROM sentence_fts_state) FROM sentence"
)
_INDEX_PENDING = text(
    "INSERT INTO sentence_fts(rowid, norm) SELECT id, norm FROM sentence "
    "WHERE id > (SELECT indexed_to FROM sentence_fts_state) "
    "AND id <= (SELECT indexed_to FROM sentence_fts_state) + :span"
)
_MOVE_MARK = text(
    "UPDATE sentence_fts_state SET indexed_to = "
    "min((SELECT coalesce(max(id), 0) FROM sentence), indexed_to + :span)"
)
INDEX_SPAN = 50_000  # ids a transaction indexes at most (~60k sentences: ~0.3 s)


def search_index_behind(session: Session) -> bool:
    """True when SQLite's full-text index lacks sentences already written (a read)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    return (session.scalar(_PENDING) or 0) > 0


def index_pending_search(session: Session, span: int = INDEX_SPAN) -> bool:
    """Put sentences written since the last call into SQLite's full-text index, up to
    ``span`` ids past its mark; True when more are left. PostgreSQL: nothing to do."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    session.execute(_INDEX_PENDING, {"span": span})  # the write lock first: a stable mark
    session.execute(_MOVE_MARK, {"span": span})
    return (session.scalar(_PENDING) or 0) > 0


# ---------------------------------------------------------------- searching


def _matches(session: Session, query: Query) -> ColumnElement[bool]:
    """The full-text condition, the query bound as a parameter on either backend."""
    if session.get_bind().dialect.name == "sqlite":
        fts = text("SELECT rowid FROM sentence_fts WHERE sentence_fts MATCH :fts_query")
        return Sentence.id.in_(fts.bindparams(fts_query=fts5_match(query)))
    simple: ColumnElement[str] = literal_column("'simple'::regconfig")
    vector = func.to_tsvector(simple, Sentence.norm)
    return vector.op("@@")(func.to_tsquery(simple, pg_tsquery(query)))


def _where(session: Session, query: Query, f: SearchFilter) -> list[ColumnElement[bool]]:
    where = [_matches(session, query)]
    if f.present is not None:
        gone = Sentence.removed_version
        where.append(gone.is_(None) if f.present else gone.is_not(None))
    if f.labels:
        labelled = select(StoryLabel.story_id).where(StoryLabel.label.in_(f.labels))
        where.append(Sentence.story_id.in_(labelled))
    if f.story_id is not None:
        where.append(Sentence.story_id == f.story_id)
    if _timed(f):
        where.append(or_(_within(FIRST_AT, f), _within(REMOVED_AT, f)))
    return where


def _timed(f: SearchFilter) -> bool:
    return f.since is not None or f.until is not None


# When a sentence appeared or vanished is when its version was recorded: read from the
# version rows (their unique index on story and number), not kept on every sentence.
_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])
_FIRST, _GONE = aliased(Version, name="first_v"), aliased(Version, name="gone_v")
FIRST_AT, REMOVED_AT = _FIRST.first_seen, _GONE.first_seen


def _with_times(q: _Q) -> _Q:
    first = and_(_FIRST.story_id == Sentence.story_id, _FIRST.number == Sentence.first_version)
    gone = and_(_GONE.story_id == Sentence.story_id, _GONE.number == Sentence.removed_version)
    return q.join(_FIRST, first).outerjoin(_GONE, gone)


def _within(column: Any, f: SearchFilter) -> ColumnElement[bool]:
    bounds: list[ColumnElement[bool]] = [column.is_not(None)]
    if f.since is not None:
        bounds.append(column >= f.since)
    if f.until is not None:
        bounds.append(column < f.until)
    return and_(*bounds)


def search(
    session: Session,
    query: Query,
    filters: SearchFilter = SearchFilter(),
    *,
    limit: int = 50,
    offset: int = 0,
    with_total: bool = True,
) -> Listing[SentenceHit]:
    """Sentences and titles that match, newest first (by when they appeared or vanished),
    and how many match in all (-1 when ``with_total`` is False)."""
    where = _where(session, query, filters)
    latest = (
        select(func.max(Version.number))
        .where(Version.story_id == Sentence.story_id)
        .scalar_subquery()
    )
    newest = func.coalesce(REMOVED_AT, FIRST_AT)
    q = (
        _with_times(select(Sentence, Story.url, Story.title, latest, FIRST_AT, REMOVED_AT))
        .join(Story, Story.id == Sentence.story_id)
        .where(*where)
        .order_by(newest.desc(), Sentence.id.desc())
        .limit(limit)
        .offset(offset)
    )
    hits = [_hit(*row) for row in session.execute(q)]
    total = -1
    if with_total:
        count = select(func.count()).select_from(Sentence)
        count = _with_times(count) if _timed(filters) else count
        total = session.scalar(count.where(*where)) or 0
    return Listing(hits, total)


def _hit(
    s: Sentence,
    url: str,
    title: str | None,
    latest: int | None,
    first_at: datetime,
    removed_at: datetime | None,
) -> SentenceHit:
    last = s.removed_version - 1 if s.removed_version is not None else (latest or s.first_version)
    return SentenceHit(
        id=s.id,
        story_id=s.story_id,
        url=url,
        title=title,
        kind=s.kind,
        text=s.text,
        first_version=s.first_version,
        first_at=first_at,
        last_version=last,
        removed_version=s.removed_version,
        removed_at=removed_at,
    )


def story_sentences(session: Session, story_id: int) -> list[SentenceHit]:
    """Every indexed sentence and title of a story, in the order they first appeared."""
    latest = session.scalar(select(func.max(Version.number)).where(Version.story_id == story_id))
    q = (
        _with_times(select(Sentence, Story.url, Story.title, FIRST_AT, REMOVED_AT))
        .join(Story, Story.id == Sentence.story_id)
        .where(Sentence.story_id == story_id)
        .order_by(Sentence.first_version, Sentence.id)
    )
    return [
        _hit(s, url, title, latest, first, gone)
        for s, url, title, first, gone in session.execute(q)
    ]
