"""docs/database.md describes every table and column; docs/web.md every route."""

from __future__ import annotations

import re
from pathlib import Path

from tracker.store.models import Base

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## ", text, flags=re.M)
    return {p.split("\n", 1)[0].strip(): p for p in parts[1:]}


def test_database_doc_covers_every_table_and_column():
    sections = _sections((DOCS / "database.md").read_text(encoding="utf-8"))
    for table in Base.metadata.sorted_tables:
        assert table.name in sections, f"docs/database.md has no section for {table.name}"
        documented = set(re.findall(r"^\| `(\w+)` \|", sections[table.name], flags=re.M))
        columns = {c.name for c in table.columns}
        assert columns - documented == set(), f"{table.name}: undocumented columns"
        assert documented - columns == set(), f"{table.name}: documented but gone"


def test_web_doc_names_every_route(tracker):
    from tracker.web import create_app

    text = (DOCS / "web.md").read_text(encoding="utf-8")
    app = create_app(tracker)
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith(("/static", "/api/openapi")) or path in ("/docs", "/redoc"):
            continue
        assert f"`{path}`" in text or f"{path}`" in text, f"docs/web.md does not mention {path}"
