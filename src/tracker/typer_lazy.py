"""Typer's option coercion, built only when a value needs it.

Typer (0.2x) coerces every option's value through a pydantic ``TypeAdapter``; building the
first one imports pydantic, ~0.13 s of every command's start (``tracker check`` of 1,000
unchanged stories takes ~1.3 s in all). Most values need nothing: a flag's bool, a string
option, a default that already has its type, the URLs of a ``list[str]`` argument. Those
pass as they are; any other value (``--limit 5``, a path, a choice, a ranged number) goes
through Typer's own coercion, built on first use, with its errors and messages.

For the values passed as they are, the result is the one the adapter gives: pydantic
returns a ``str``, ``int`` or ``float`` of the annotated type unchanged, and a ``list[str]``
as a new list of the same strings. ``tests/test_cli_coercion.py`` holds the two ways equal.
A Typer without this hook (older or newer) is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args, get_origin

PLAIN = (str, int, float, bool)


def install() -> bool:
    """Make Typer build its coercion lazily; False when this Typer has no such hook."""
    try:
        from typer import _coercion, core
    except ImportError:  # a Typer without these modules: nothing to do
        return False
    real = getattr(core, "build_runtime_param", None)
    base = getattr(_coercion, "RuntimeParam", None)
    if real is None or base is None:
        return False
    if getattr(real, "_tracker_lazy", False):
        return True
    core.build_runtime_param = _lazy_builder(real, _lazy_class(base))  # type: ignore[assignment]
    return True


def _lazy_builder(real: Callable[[Any], Any], lazy: type) -> Callable[[Any], Any]:
    def build(descriptor: Any) -> Any:
        kind = plain_kind(descriptor)
        return lazy(descriptor.parameter_info, descriptor.annotation, descriptor, real, kind, {})

    build._tracker_lazy = True  # type: ignore[attr-defined]
    return build


def _lazy_class(base: type) -> type:
    """A subclass of Typer's ``RuntimeParam``: its ``coerce`` (None, multiple values) is
    Typer's own; only ``_coerce_value`` decides between passing and the real coercion."""

    @dataclass(frozen=True)
    class LazyParam(base):
        descriptor: Any
        build: Callable[[Any], Any]
        kind: type | None  # plain_kind(descriptor): the values that pass as they are
        built: dict[str, Any]  # {"real": Typer's RuntimeParam}, once it was needed

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind = self.kind
            if kind is list:
                if isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
                    return list(value)
            elif kind is not None and type(value) is kind:
                return value
            real = self.built.get("real")
            if real is None:
                real = self.built["real"] = self.build(self.descriptor)
            return real._coerce_value(value, param=param, ctx=ctx)

    return LazyParam


def plain_kind(descriptor: Any) -> type | None:
    """``str``/``int``/``float``/``bool``, ``list`` for ``list[str]``; None for anything
    that needs Typer's coercion (paths, files, choices, ranges, parsers, dates...)."""
    info = getattr(descriptor, "parameter_info", None)
    if info is None or getattr(info, "parser", None) is not None:
        return None
    try:
        if descriptor.is_file or descriptor.is_path or descriptor.is_choice:
            return None
        if descriptor.is_ranged or descriptor.is_datetime:
            return None
    except AttributeError:  # a descriptor of another shape: leave it to Typer
        return None
    annotation = descriptor.annotation
    if annotation in PLAIN:
        return annotation
    if get_origin(annotation) is list and get_args(annotation) == (str,):
        return list
    return None
