"""Pagination for every list: ``limit``/``offset`` or ``page``, with totals and links."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Query, Request

from tracker.web.params import COUNT_MAX
from tracker.web.state import get_web

MAX_LIMIT = 1000
PAGE_MAX = COUNT_MAX // MAX_LIMIT  # so that (page - 1) * limit is a valid offset


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    offset: int

    def links(self, request: Request, total: int) -> tuple[str | None, str | None]:
        """Absolute ``next`` and ``prev`` URLs; None at either end."""
        base = request.url.remove_query_params(["page", "offset", "limit"])
        nxt = prev = None
        if self.offset + self.limit < total:
            nxt = str(base.include_query_params(limit=self.limit, offset=self.offset + self.limit))
        if self.offset > 0:
            back = max(0, self.offset - self.limit)
            prev = str(base.include_query_params(limit=self.limit, offset=back))
        return nxt, prev

    def page(self, request: Request, items: list, total: int) -> dict[str, object]:
        nxt, prev = self.links(request, total)
        return {
            "items": items,
            "total": total,
            "limit": self.limit,
            "offset": self.offset,
            "next": nxt,
            "prev": prev,
        }


def window(
    request: Request,
    limit: int | None = Query(
        None, ge=1, le=MAX_LIMIT, description="items per page (default [web] page_size)"
    ),
    offset: int = Query(0, ge=0, le=COUNT_MAX, description="items to skip"),
    page: int | None = Query(
        None, ge=1, le=PAGE_MAX, description="1-based page number; overrides offset"
    ),
) -> Window:
    size = limit or get_web(request).page_size
    return Window(size, (page - 1) * size if page else offset)
