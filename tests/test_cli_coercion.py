"""Typer's option coercion built lazily (``tracker/typer_lazy.py``) gives what Typer's own
gives, for every parameter of every command: the plain values it passes as they are, and
the ones it hands to Typer (numbers typed as text, paths, choices, ranges), errors and all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
import typer.main
from typer import core

from tracker import cli, typer_lazy


def _real_builder() -> Any:
    """Typer's own builder (the lazy one replaces it in ``typer.core`` only)."""
    from typer import _coercion

    return _coercion.build_runtime_param


def _params(group: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from _params(command, f"{path}{name} ")
        for param in command.params:
            if hasattr(param, "type_descriptor"):
                yield f"{path}{name} {param.name}", param


PARAMS = list(_params(typer.main.get_command(cli.app)))


def _samples(param: Any) -> list[Any]:
    """Values a command line or a default can bring to this parameter."""
    values: list[Any] = [None, "", "text", "5", "-1", "1.5", "true", "x.toml", ("a", "b"), ()]
    values += [5, 0, 1.5, True, False, ["a", "b"]]
    if param.default is not None and not callable(param.default):
        values.append(param.default)
    return values


def _outcome(runtime: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    from typer._click.exceptions import UsageError

    try:
        got = runtime.coerce(value, param=param, ctx=ctx)
    except UsageError as exc:  # BadParameter and the like: the message the user reads
        return "error", exc.format_message()
    except Exception as exc:  # the same failure either way is what counts
        return "raised", type(exc).__name__
    return "value", (type(got), got)


def test_every_command_has_parameters_to_compare() -> None:
    assert typer_lazy.install()  # installed when the CLI was imported; a second call is a no-op
    assert getattr(core.build_runtime_param, "_tracker_lazy", False)
    assert len(PARAMS) > 50
    kinds = {typer_lazy.plain_kind(p.type_descriptor) for _, p in PARAMS}
    assert {str, bool, int, list, None} <= kinds


@pytest.mark.parametrize(("name", "param"), PARAMS, ids=[n for n, _ in PARAMS])
def test_lazy_coercion_equals_typers(name: str, param: Any) -> None:
    lazy = core.build_runtime_param(param.type_descriptor)
    real = _real_builder()(param.type_descriptor)
    command = typer.main.get_command(cli.app)
    ctx = command.make_context("tracker", ["status"], resilient_parsing=True)
    for value in _samples(param):
        assert _outcome(lazy, value, param, ctx) == _outcome(real, value, param, ctx), value
