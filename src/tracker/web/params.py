"""Bounds of the numbers a request carries, declared once for every route.

An unbounded ``int`` lets ``/stories/99999999999999999999`` reach the database, which cannot
hold it (SQLite raises OverflowError past 2**63): a 500 instead of a 422. Ids are 64-bit in
the database; version numbers, pages and offsets are 32-bit, far past any real history.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

ID_MAX = 2**63 - 1
COUNT_MAX = 2**31 - 1

StoryId = Annotated[int, Path(ge=1, le=ID_MAX, description="the story's id")]
VersionNumber = Annotated[int, Path(ge=1, le=COUNT_MAX, description="a version number, from 1")]


def story_filter(description: str) -> Any:  # Any, like fastapi.Query: it stands for an int
    """A story id in the query string (``?story=``), optional."""
    return Query(None, ge=1, le=ID_MAX, description=description)


def version_query(default: Any, description: str = "", alias: str | None = None) -> Any:
    """A version number in the query string (``from``, ``to``); ``...`` when required."""
    return Query(default, alias=alias, ge=1, le=COUNT_MAX, description=description)
