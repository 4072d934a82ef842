"""The only package that speaks SQL: engine setup, tables, queries, snapshot compression.

Everything outside reaches the database through :class:`Store` (``store.read(query, ...)``
and ``store.write(query, ...)``) with the query functions of :mod:`tracker.store.queries`.
"""

from tracker.store.database import Store

__all__ = ["Store"]
