"""The layers, pinned: no import cycles, SQL only in the store, a core that knows no front end.

The graph is read from the source with ``ast``: every ``import`` counts, at module level,
inside a function or under ``if TYPE_CHECKING`` alike, since each is a dependency of one module
on another whether it runs at import time or later.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Only these may import SQLAlchemy or Alembic.
DATABASE_LIBRARIES = frozenset({"sqlalchemy", "alembic"})
DATABASE_OWNERS = ("tracker.store", "tracker.migrations")

# The core: the vocabulary, settings, the stages, fetching, the store and the check itself.
CORE = (
    "tracker.records",
    "tracker.errors",
    "tracker.vocab",
    "tracker.config",
    "tracker.timeparse",
    "tracker.urls",
    "tracker.extract",
    "tracker.lang",
    "tracker.diff",
    "tracker.revision",
    "tracker.render",
    "tracker.schedule",
    "tracker.fetch",
    "tracker.store",
    "tracker.check",
    "tracker.cards",
)
# The front ends: what people and other programs talk to. The core may not reach them.
FRONT_ENDS = (
    "tracker.cli",
    "tracker.clikit",
    "tracker.commands",
    "tracker.web",
    "tracker.daemon",
    "tracker.export",
)

Graph = dict[str, set[str]]


# ---------------------------------------------------------------- reading the graph


def source_modules(root: Path, package: str = "tracker") -> dict[str, Path]:
    """Every importable module of the package, by dotted name; a package is its __init__."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        # Alembic's revision files (0001_initial_schema.py) are loaded by path, never imported.
        if all(part.isidentifier() for part in parts):
            found[".".join(parts)] = path
    return found


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names a module imports anywhere in its body, relative imports resolved.

    ``from a.b import c`` gives ``a.b.c``: c may be a module or a name defined in a.b.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # `from . import x` is level 1: the module's own package
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module an imported name lives in: its longest prefix that is a module."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def read_imports(root: Path, package: str = "tracker") -> tuple[Graph, Graph]:
    """(edges between the package's modules, each module's outside top-level imports)."""
    modules = source_modules(root, package)
    graph: Graph = {name: set() for name in modules}
    outside: Graph = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for imported in imported_names(tree, name, path.name == "__init__.py"):
            top = imported.split(".")[0]
            if top != package:
                outside[name].add(top)
                continue
            # Importing a.b.c runs a/b/__init__ too; that is not counted as an edge, or every
            # package that re-exports its submodules would be a cycle of its own.
            target = _owner(imported, modules)
            if target is not None and target != name:
                graph[name].add(target)
    return graph, outside


# ---------------------------------------------------------------- questions about it


def cycles(graph: Graph) -> list[list[str]]:
    """One cycle (a -> b -> ... -> a) per strongly connected group of modules, sorted."""
    found = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            start = min(group)
            found.append(_path(graph, start, {start}, within=group))
    return sorted(found)


def _strongly_connected(graph: Graph) -> list[set[str]]:
    """Tarjan's algorithm, iterative (a deep import chain must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            nxt = next(successors, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups


def _path(graph: Graph, start: str, goals: set[str], within: set[str] | None = None) -> list[str]:
    """The shortest import chain start -> ... -> a goal (start may be its own goal), or []."""
    parent: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node]):
            if within is not None and nxt not in within:
                continue
            if nxt in goals:
                chain = [nxt, node]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return chain[::-1]
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = node
                queue.append(nxt)
    return []


def _in(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _chain(modules: list[str]) -> str:
    return " -> ".join(modules)


# ---------------------------------------------------------------- the reader itself


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_reader_counts_every_kind_of_import_and_names_the_cycle(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "tracker/__init__.py": "",
            "tracker/a.py": "from tracker import b\n",
            "tracker/b.py": "def later():\n    from .sub import c\n",
            "tracker/sub/__init__.py": "from tracker.sub.c import X\n",
            "tracker/sub/c.py": (
                "from typing import TYPE_CHECKING\n"
                "import sqlalchemy.orm\n"
                "if TYPE_CHECKING:\n    from .. import a\n"
                "X = 1\n"
            ),
            "tracker/d.py": "from tracker.sub import X\nimport tracker.sub.c\n",
            "tracker/migrations/versions/0001_first.py": "import alembic\n",
        },
    )
    graph, outside = read_imports(tmp_path)
    assert graph == {
        "tracker": set(),
        "tracker.a": {"tracker.b"},
        "tracker.b": {"tracker.sub.c"},  # inside a function
        "tracker.sub": {"tracker.sub.c"},
        "tracker.sub.c": {"tracker.a"},  # under TYPE_CHECKING, relative two levels up
        "tracker.d": {"tracker.sub", "tracker.sub.c"},  # a name of sub; a module
    }
    assert outside["tracker.sub.c"] == {"typing", "sqlalchemy"}
    assert cycles(graph) == [["tracker.a", "tracker.b", "tracker.sub.c", "tracker.a"]]
    assert _path(graph, "tracker.d", {"tracker.b"}) == [
        "tracker.d",
        "tracker.sub.c",
        "tracker.a",
        "tracker.b",
    ]
    graph["tracker.sub.c"].clear()  # without the type-only import, no cycle is left
    assert cycles(graph) == []


def test_the_reader_sees_the_real_tree() -> None:
    graph, outside = read_imports(SRC)
    assert {"tracker.diff", "tracker.records"} <= graph["tracker.revision.report"]
    assert "sqlalchemy" in outside["tracker.store.db"]
    # The layer lists name real modules.
    for prefix in (*CORE, *FRONT_ENDS):
        assert any(_in(m, [prefix]) for m in graph), prefix


# ---------------------------------------------------------------- the rules


def test_no_import_cycles() -> None:
    graph, _ = read_imports(SRC)
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_chain(c) for c in found)


def test_only_the_store_and_the_migrations_import_sqlalchemy_or_alembic() -> None:
    _, outside = read_imports(SRC)
    found = {
        module: sorted(libraries & DATABASE_LIBRARIES)
        for module, libraries in sorted(outside.items())
        if libraries & DATABASE_LIBRARIES and not _in(module, DATABASE_OWNERS)
    }
    assert not found, f"database libraries imported outside {DATABASE_OWNERS}: {found}"


def test_the_core_reaches_no_front_end() -> None:
    graph, _ = read_imports(SRC)
    front_ends = {m for m in graph if _in(m, FRONT_ENDS)}
    chains = [_path(graph, m, front_ends) for m in sorted(graph) if _in(m, CORE)]
    found = [_chain(c) for c in chains if c]
    assert not found, "the core imports a front end:\n" + "\n".join(found)
