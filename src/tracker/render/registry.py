"""The renderer registry: a dict and a decorator (no metaclass, no import-time magic)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

RENDERERS: dict[str, Callable[..., Any]] = {}


def renderer(name: str) -> Callable[[F], F]:
    """Register a function under a ``--format`` name."""

    def add(fn: F) -> F:
        if name in RENDERERS:
            raise ValueError(f"renderer {name!r} registered twice")
        RENDERERS[name] = fn
        return fn

    return add
