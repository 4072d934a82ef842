"""``tracker export --what cards -o DIR``: one PNG card and one alt-text file per change.

The changes are the export's (``--label``, ``--story``, ``--since``, ``--until`` select them,
oldest first). Each card is drawn from the full comparison of the two versions, recomputed
from the stored texts as ``tracker diff`` does, so it has its sentence of context. Files are
``story{ID}-v{A}-v{B}.png`` and ``.txt``, written whole (a partial file never has the name).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracker.errors import UsageError
from tracker.export import ExportSpec, _changes
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.rows import ChangeInfo


def _report_and_meta(store: Store, c: ChangeInfo, web_base: str) -> tuple[Any, dict[str, Any]]:
    from tracker import revision

    assert c.from_version is not None  # first versions are skipped by the caller
    refs = [
        revision.VersionRef(v.number, v.unpublished) for v in store.read(q.versions, c.story_id)
    ]
    a = store.read(q.version, c.story_id, c.from_version)
    b = store.read(q.version, c.story_id, c.to_version)
    old = store.read(q.version_article, c.story_id, revision.published_basis(refs, a.number))
    new = store.read(q.version_article, c.story_id, revision.published_basis(refs, b.number))
    report = revision.compare(
        old,
        new,
        old_unpublished=a.unpublished,
        new_unpublished=b.unpublished,
        status_code=b.status_code,
    )
    base = web_base.rstrip("/")
    web_url = f"{base}/stories/{c.story_id}/diff/{a.number}/{b.number}" if base else None
    meta = {
        "url": c.url,
        "from": a.number,
        "to": b.number,
        "from_time": a.first_seen.isoformat(),
        "to_time": b.first_seen.isoformat(),
        "web_url": web_url,
    }
    return report, meta


def _write(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)


def export_cards(
    store: Store,
    spec: ExportSpec,
    directory: Path,
    *,
    width: int = 1200,
    web_base: str = "",
    tick: Callable[[], None] = lambda: None,
) -> int:
    """Write a card and its alt text per selected change into ``directory``; returns how many."""
    from tracker.cards import render_card

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {directory}: {exc.strerror}") from None
    n = 0
    for change in _changes(store, spec):
        tick()
        if change.from_version is None:
            continue
        report, meta = _report_and_meta(store, change, web_base)
        card = render_card(report, meta, width)
        stem = f"story{change.story_id}-v{change.from_version}-v{change.to_version}"
        _write(directory / f"{stem}.png", card.png)
        _write(directory / f"{stem}.txt", (card.alt + "\n").encode("utf-8"))
        n += 1
    return n
