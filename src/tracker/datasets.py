"""Research datasets: sentence operations between versions, and a flat SQLite archive.

- ``tracker export --what sentences`` (JSONL or CSV): one row per sentence operation between
  two consecutive versions of a story, the shape edit-history corpora use (cf. NewsEdits):
  ``equal``, ``insert``, ``delete``, ``update`` (the same sentence, edited) and ``move``,
  with the old and new sentence, their positions and the class of the change. The
  alignment is the one the diffs show (:func:`tracker.revision.align.align`).
- ``tracker export --format sqlite -o archive.db``: a self-describing SQLite file for
  Datasette and pandas: ``stories``, ``versions`` (plain text), ``changes``, ``sentences``
  (each distinct sentence with its span of versions), the FTS5 table ``sentences_fts`` over
  the sentences, and the table and column descriptions both in a ``_metadata`` table and in
  ``metadata.json`` next to the file (Datasette's ``--metadata`` format).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import __version__, rowjson
from tracker.errors import UsageError
from tracker.revision.align import align
from tracker.revision.sentences import split_paragraphs
from tracker.store import queries as q

if TYPE_CHECKING:
    from tracker.store import Store

SENTENCE_OP_FIELDS: tuple[str, ...] = (
    "story_id", "url", "from_version", "to_version", "from_time", "to_time", "op",
    "old_sentence", "new_sentence", "old_index", "new_index", "paragraph", "class",
    "title",
)  # fmt: skip


# ---------------------------------------------------------------- sentence operations


def _sentences(sv: q.StoryVersion) -> list[Any]:
    if sv.version.unpublished or not sv.text:
        return []
    return split_paragraphs([p for p in sv.text.split("\n\n") if p])


def _pair_rows(prev: q.StoryVersion, cur: q.StoryVersion) -> Iterator[dict[str, Any]]:
    ops, _ = align(_sentences(prev), _sentences(cur))
    for op in ops:
        yield {
            "story_id": cur.version.story_id,
            "url": cur.url,
            "from_version": prev.version.number,
            "to_version": cur.version.number,
            "from_time": rowjson.iso(prev.version.first_seen),
            "to_time": rowjson.iso(cur.version.first_seen),
            "op": op.op,
            "old_sentence": op.old,
            "new_sentence": op.new,
            "old_index": op.old_index,
            "new_index": op.new_index,
            "paragraph": op.paragraph,
            "class": cur.version.change_class,
            "title": cur.version.title or prev.version.title,
        }


def sentence_rows(
    store: Store,
    stories: Iterable[q.StoryInfo],
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """One row per sentence operation between consecutive versions, story by story; a pair
    counts when its newer version was first seen in [since, until)."""
    for story in stories:
        prev: q.StoryVersion | None = None
        after = 0
        while batch := store.read(
            q.version_batch, after_id=after, story_ids=[story.id], limit=50, text=True
        ):
            for cur in batch:
                at = cur.version.first_seen
                inside = (since is None or at >= since) and (until is None or at < until)
                if prev is not None and inside:
                    yield from _pair_rows(prev, cur)
                prev = cur
            after = batch[-1].version.id


# ---------------------------------------------------------------- the SQLite archive

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "stories": (
        "Tracked stories, one row each (the fields of `tracker list --json`).",
        {"id": "the story's id", "url": "the URL tracked", "title": "its latest headline",
         "state": "developing, settled, gone or archived", "labels": "JSON list of labels",
         "versions": "how many versions were kept", "created_at": "when tracking began (UTC)",
         "last_changed_at": "when the latest version was seen first (UTC)"},
    ),
    "versions": (
        "Every version of every story, with its plain text.",
        {"story_id": "→ stories.id", "version": "1, 2, ... per story",
         "first_seen": "when this text was first fetched (UTC)", "last_seen": "when last seen",
         "title": "the headline of this version", "text": "the article text, paragraphs "
         "separated by blank lines", "unpublished": "1 when the page was gone (404/410)",
         "class": "class of the change that made this version", "summary": "one line"},
    ),
    "changes": (
        "Each change between two versions: class, summary, and the full report as JSON.",
        {"story_id": "→ stories.id", "from": "the older version", "to": "the newer version",
         "at": "when the change was seen (UTC)", "class": "cosmetic, minor, update, major, ...",
         "title": "the headline as of the change", "report": "JSON: sentences, facts, stats"},
    ),
    "sentences": (
        "Each distinct sentence (or headline) of a story, with the versions that carried it.",
        {"story_id": "→ stories.id", "kind": "title or text", "text": "the sentence",
         "first_version": "the first version with it", "last_version": "the last version "
         "with it", "present": "1 when the latest version still has it",
         "appeared_at": "when it appeared (UTC)", "removed_at": "when the first version "
         "without it was seen (UTC), or null"},
    ),
}  # fmt: skip

_SCHEMA = """
CREATE TABLE stories (id INTEGER PRIMARY KEY, url TEXT, title TEXT, state TEXT, labels TEXT,
  versions INTEGER, created_at TEXT, last_changed_at TEXT);
CREATE TABLE versions (story_id INTEGER REFERENCES stories(id), version INTEGER,
  first_seen TEXT, last_seen TEXT, title TEXT, text TEXT, unpublished INTEGER, class TEXT,
  summary TEXT, PRIMARY KEY (story_id, version));
CREATE TABLE changes (id INTEGER PRIMARY KEY, story_id INTEGER REFERENCES stories(id),
  "from" INTEGER, "to" INTEGER, at TEXT, class TEXT, title TEXT, summary TEXT, report TEXT);
CREATE TABLE sentences (id INTEGER PRIMARY KEY, story_id INTEGER REFERENCES stories(id),
  kind TEXT, text TEXT, first_version INTEGER, last_version INTEGER, present INTEGER,
  appeared_at TEXT, removed_at TEXT);
CREATE VIRTUAL TABLE sentences_fts USING fts5(text, content='sentences', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2');
CREATE TABLE _metadata (key TEXT PRIMARY KEY, value TEXT);
"""


def metadata(name: str) -> dict[str, Any]:
    """Datasette's metadata.json: the tables and their columns, described."""
    tables = {t: {"description": desc, "columns": cols} for t, (desc, cols) in TABLES.items()}
    tables["sentences"]["fts_table"] = "sentences_fts"
    tables["sentences"]["fts_pk"] = "id"
    return {
        "title": "tracker archive",
        "description": f"Exported by tracker {__version__}: stories, versions, changes and "
        "every sentence with its span of versions. Times are UTC, ISO 8601.",
        "databases": {name: {"tables": tables}},
    }


@dataclass(frozen=True, slots=True)
class ArchiveRows:
    """What goes into the archive, as the export selects it (read lazily)."""

    stories: Iterable[q.StoryInfo]
    versions: Iterable[q.StoryVersion]  # with their text
    changes: Iterable[q.ChangeInfo]


def export_sqlite(
    store: Store, rows: ArchiveRows, path: str, tick: Callable[[], None] = lambda: None
) -> int:
    """Write the archive to ``path`` (a new file, renamed into place when complete) and
    ``metadata.json`` beside it; returns the number of stories."""
    if path == "-":
        raise UsageError("--format sqlite writes a file: give -o PATH")
    final = Path(path)
    part = final.with_name(final.name + ".part")
    part.unlink(missing_ok=True)
    db = sqlite3.connect(part)
    try:
        db.executescript(_SCHEMA)
        n = _fill(db, store, rows, tick)
        db.execute("INSERT INTO sentences_fts(sentences_fts) VALUES ('rebuild')")
        meta = metadata(final.stem)
        db.execute("INSERT INTO _metadata VALUES ('metadata.json', ?)", (json.dumps(meta),))
        db.commit()
    except BaseException:
        db.close()
        part.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(part, final)
    text = json.dumps(meta, indent=2, ensure_ascii=False)
    final.with_name("metadata.json").write_text(text + "\n", encoding="utf-8")
    return n


def _fill(db: sqlite3.Connection, store: Store, rows: ArchiveRows, tick: Callable[[], None]) -> int:
    n = 0
    for s in rows.stories:
        db.execute(
            "INSERT INTO stories VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (s.id, s.url, s.title, s.state, json.dumps(s.labels), s.version_count,
             rowjson.iso(s.created_at), rowjson.iso(s.last_changed_at)),
        )  # fmt: skip
        for h in store.read(q.story_sentences, s.id):
            db.execute(
                "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (h.id, h.story_id, h.kind, h.text, h.first_version, h.last_version,
                 int(h.present), rowjson.iso(h.first_at), rowjson.iso(h.removed_at)),
            )  # fmt: skip
        n += 1
        tick()
    for sv in rows.versions:
        v = sv.version
        db.execute(
            "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (v.story_id, v.number, rowjson.iso(v.first_seen), rowjson.iso(v.last_seen), v.title,
             sv.text or "", int(v.unpublished), v.change_class, v.summary),
        )  # fmt: skip
    for c in rows.changes:
        db.execute(
            "INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (c.id, c.story_id, c.from_version, c.to_version, rowjson.iso(c.at), c.change_class,
             c.title, c.summary, json.dumps(c.report, ensure_ascii=False, sort_keys=True)),
        )  # fmt: skip
    return n
