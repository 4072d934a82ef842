"""SQLite's full-text index brought up to the sentences written so far.

New sentences enter the FTS5 index after their version's transaction, in bulk (migration
``0012_i17f``, ``sentences.index_pending_search``): the daemon does it every few seconds,
``tracker check`` at its end, and every search first, so a search never misses a sentence
that was written before it began (``search``: the one way the front ends search).
PostgreSQL's index needs none of this.
"""

from __future__ import annotations

import logging

from tracker.errors import StoreError
from tracker.searchquery import Query
from tracker.store import queries as q
from tracker.store.database import Store

log = logging.getLogger("tracker.store")


def bring_up_to_date(store: Store) -> None:
    """Index what is pending, a transaction per ``sentences.INDEX_SPAN`` ids. A database this
    process cannot write (a read-only copy, a full disk) is searched as its index stands."""
    if store.backend != "sqlite":
        return
    try:
        while store.read(q.search_index_behind) and store.write(q.index_pending_search):
            pass
    except StoreError as exc:
        log.warning("the search index could not take the newest sentences: %s", exc)


def search(
    store: Store,
    query: Query,
    filters: q.SearchFilter,
    *,
    limit: int = 50,
    offset: int = 0,
    with_total: bool = True,
) -> q.Listing[q.SentenceHit]:
    """``queries.search`` over an index that holds every sentence written before it began."""
    bring_up_to_date(store)
    return store.read(q.search, query, filters, limit=limit, offset=offset, with_total=with_total)
