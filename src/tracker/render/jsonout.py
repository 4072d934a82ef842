"""The JSON view of a change: the stored report plus where it belongs.

Keys: ``url``, ``from``, ``to`` (ints), ``from_time``, ``to_time``, ``web_url``, ``class``,
``summary``, ``title`` {old, new}, ``byline`` {old, new}, ``ops`` ([op, text] pairs at word
granularity over the body, op in equal/insert/delete), ``sentences`` (each with ``op``,
``old``, ``new``, ``old_index``, ``new_index``, ``paragraph``, ``words``), ``facts`` and
``stats``.
"""

from __future__ import annotations

from typing import Any

from tracker.render.common import Meta
from tracker.render.registry import renderer
from tracker.revision import ChangeReport


def _int(value: int | str | None) -> int | None:
    return int(value) if value is not None else None


@renderer("json")
def render_json(report: ChangeReport, meta: Meta) -> dict[str, Any]:
    data = report.to_json()
    d = report.diff
    return {
        "url": meta.get("url"),
        "from": _int(meta.get("from")),
        "to": _int(meta.get("to")),
        "from_time": meta.get("from_time"),
        "to_time": meta.get("to_time"),
        "web_url": meta.get("web_url"),
        "class": report.change_class,
        "summary": report.summary,
        "title": {"old": d.title_old, "new": d.title_new},
        "byline": {"old": d.byline_old, "new": d.byline_new},
        "ops": data["diff"]["ops"],
        "sentences": data["sentences"],
        "facts": data["facts"],
        "stats": data["stats"],
    }
