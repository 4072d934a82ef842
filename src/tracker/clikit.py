"""Shared pieces of the command line: the lazily built Tracker, consoles, plain or coloured
output, JSON output, and the Typer classes that keep ``--help`` literal.

Output reads right anywhere: ``plain()`` is the one place that decides between Rich (a colour
terminal) and plain text (piped, in a log, ``NO_COLOR``, ``TERM=dumb``). Plain text is
written as it is: one record per line, URLs in full, nothing wrapped or cut.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer import Typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from tracker import rowjson, typer_lazy

if TYPE_CHECKING:
    from rich.progress import Progress

    from tracker.service import Tracker

out = Console()
err = Console(stderr=True, highlight=False, soft_wrap=True)
typer_lazy.install()  # Typer's pydantic coercion only for values that need it (~0.13 s)


class State:
    """Filled in by the top-level options; commands ask it for the Tracker."""

    config: str | None = None
    _tracker: Tracker | None = None

    @property
    def tracker(self) -> Tracker:
        if self._tracker is None:
            # Here, not at the top: `--help` and `--version` need no database, no settings.
            from tracker.config import find_config, load_settings
            from tracker.service import Tracker

            self._tracker = Tracker(load_settings(find_config(self.config)))
        return self._tracker


state = State()


# ---------------------------------------------------------------- plain or colour


def plain(console: Console | None = None) -> bool:
    """True when stdout shows no colour: not a terminal (a pipe, a file, a log), ``NO_COLOR``
    set, or a terminal without colours (``TERM=dumb``). Rich knows all three."""
    c = console or out
    return not c.is_terminal or c.no_color or c.color_system is None


def echo(line: str) -> None:
    """One line to stdout exactly as given: no markup, no wrapping."""
    sys.stdout.write(line + "\n")


def say(markup: str) -> None:
    """A line of our own console markup (page text inside it must be ``escape``d): styled on
    a colour terminal, plain and unwrapped anywhere else."""
    if plain():
        echo(Text.from_markup(markup).plain)
    else:
        out.print(markup, highlight=False)


def _cell(text: str) -> str:
    return " ".join(text.split()) or "-"


def write_rows(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Aligned columns for pipes and logs: one row per line, every cell on one line and in
    full, the last column unpadded (it holds the free text: URLs, titles)."""
    table = [[_cell(c) for c in header], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    for r in table:
        echo("  ".join([c.ljust(w) for c, w in zip(r, widths, strict=False)] + r[-1:]))


def show_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table of plain strings (never read as markup): Rich on a colour terminal, with the
    last column folded rather than cut; ``write_rows`` anywhere else."""
    if plain():
        write_rows(header, rows)
        return
    table = Table(box=None, header_style="bold")
    for k, name in enumerate(header):
        table.add_column(name, overflow="fold" if k == len(header) - 1 else "ellipsis")
    for row in rows:
        table.add_row(*(Text(c) for c in row))
    out.print(table)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def rows_bar() -> Progress:
    """The bar of a long store operation (copy, prune): what it is at, rows done of all, time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), console=out, transient=True)


def iso(value: datetime | None) -> str | None:
    return rowjson.iso(value)


def local_time(value: datetime | None) -> str:
    """``2026-11-30 09:12 UTC``: the machine's time zone, by name (an offset if it has none)."""
    if value is None:
        return "-"
    local = value.astimezone()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.strftime('%z')}"


def readable_time(value: object) -> object:
    """A stored ISO time (``2026-11-30T09:12:31.5+00:00``) as ``local_time`` prints times;
    anything else as it is."""
    try:
        return local_time(datetime.fromisoformat(str(value))) if value else value
    except ValueError:
        return value


# ---------------------------------------------------------------- --help


class _NamedArgument(TyperArgument):
    """An argument whose help row shows its metavar (``URL``) once, without a ``<str>``."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _plain_help(text: str) -> str:
    """Help as written: docstring line breaks are not line breaks (paragraphs are), and
    ``[schedule]`` is text, not Rich markup."""
    return escape("\n\n".join(" ".join(p.split()) for p in text.split("\n\n")))


def _literal_help(command: TyperCommand | TyperGroup) -> None:
    """Help texts as written, arguments shown by their ``metavar`` (``URL``) alone."""
    command.help = _plain_help(command.help) if command.help else command.help
    command.short_help = _plain_help(command.short_help) if command.short_help else None
    for param in command.params:
        if isinstance(param, TyperOption | TyperArgument) and param.help:
            param.help = _plain_help(param.help)
        if type(param) is TyperArgument:
            param.__class__ = _NamedArgument


def _flags_without_metavar(params: list[Any]) -> list[Any]:
    """Flags (``--json``, ``--help``, Typer's completion options) take no value: no
    ``<bool>`` beside them."""
    for param in params:
        if getattr(param, "is_flag", False) and getattr(param, "metavar", "") is None:
            param.metavar = ""
    return params


class Command(TyperCommand):
    """Every ``tracker`` command: help as written (see ``_literal_help``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _literal_help(self)

    def get_params(self, ctx: Any) -> Any:
        return _flags_without_metavar(super().get_params(ctx))


class Group(TyperGroup):
    """Every ``tracker`` command group: help as written (see ``_literal_help``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _literal_help(self)

    def get_params(self, ctx: Any) -> Any:
        return _flags_without_metavar(super().get_params(ctx))


class App(Typer):
    """A Typer app whose groups and commands are ``Group`` and ``Command``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        super().__init__(**kwargs)

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[Any], Any]:
        return super().command(name, cls=cls or Command, **kwargs)


# `--render` on `tracker add` and `tracker feed add` (docs/rendering.md).
RenderOption = Annotated[
    str | None,
    typer.Option(
        "--render",
        metavar="auto|always|never",
        help="Render these pages in Chromium: auto (only when the static page yields no "
        "article, or one far shorter than its embedded data), always, or never "
        "(default: [fetch] render).",
        show_default=False,
    ),
]
