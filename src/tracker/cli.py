"""The ``tracker`` command: a thin shell over :class:`tracker.service.Tracker`.

Exit codes: 0 ok, 1 a check failed (or another runtime failure), 2 usage or config error.
Errors go to stderr on one line.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from tracker import __version__, rowjson
from tracker.clikit import (
    App,
    RenderOption,
    echo,
    err,
    iso,
    local_time,
    out,
    plain,
    print_json,
    readable_time,
    say,
    state,
    write_rows,
)
from tracker.errors import TrackerError, UsageError
from tracker.records import CheckOutcome
from tracker.timeparse import format_duration, parse_datetime

if TYPE_CHECKING:
    from typer.models import CommandInfo

    from tracker.service import Added
    from tracker.store.rows import StoryInfo, VersionInfo

app = App(
    help="Track developing news stories: keep every version, see exactly what changed.\n\n"
    "Start with `tracker init`, then `tracker add URL` and `tracker check`.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
OUTCOME_STYLE = {
    "first_version": ("green", "first version"),
    "new_version": ("bold green", "changed"),
    "returned": ("bold green", "returned"),
    "unchanged": ("dim", "unchanged"),
    "not_modified": ("dim", "not modified (304)"),
    "failed": ("red", "failed"),
    "gone": ("bold red", "gone"),
}


def _version_callback(value: bool) -> None:
    if value:
        say(f"tracker {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            metavar="PATH",
            help="Config file (TOML). Default: $TRACKER_CONFIG, then ./tracker.toml, "
            "then built-in defaults.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    state.config = config


@app.command()
def init() -> None:
    """Create the database and run migrations. Safe to run twice."""
    t = state.tracker
    rev = t.init()
    say(escape(f"database ready at {t.store.safe_url} (schema {rev})"))


# `tracker add`'s schedule options, declared apart so the command reads as what it does.
MaxIntervalOption = Annotated[
    str | None,
    typer.Option(
        "--max-interval",
        metavar="DURATION",
        help="Never wait longer than this between checks of these stories, however long "
        "they stay unchanged (default: the [schedule] max_interval ceiling).",
    ),
]
FixedOption = Annotated[
    bool | None,
    typer.Option(
        "--fixed/--adaptive",
        help="--fixed: check exactly every --interval, no backoff; --adaptive: back to "
        "the adaptive schedule.",
        show_default=False,
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until",
        metavar="DATE",
        help="Stop following after this date (YYYY-MM-DD, ISO time, or +3d).",
    ),
]


@app.command()
def add(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="Article URLs to track.", metavar="URL", show_default=False),
    ] = None,
    from_file: Annotated[
        str | None,
        typer.Option(
            "--from-file",
            "-f",
            metavar="PATH",
            help="Read URLs from a file, one per line ('-' for stdin). "
            "Blank lines and # comments are skipped.",
        ),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", "-l", metavar="LABEL", help="Label for the stories (repeatable)."),
    ] = None,
    interval: Annotated[
        str | None,
        typer.Option(
            "--interval",
            "-i",
            metavar="DURATION",
            help="Check interval, e.g. 30s, 5m, 2h (default from [schedule] default_interval).",
        ),
    ] = None,
    max_interval: MaxIntervalOption = None,
    fixed: FixedOption = None,
    until: UntilOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    render: RenderOption = None,
) -> None:
    """Track one or many story URLs. Adding a URL twice is harmless (labels are merged)."""
    all_urls = list(urls or [])
    if from_file:
        text = _read_file(from_file)
        all_urls += [
            ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")
        ]
    if not all_urls:
        raise UsageError("no URLs given (pass URLs or --from-file)")
    added = state.tracker.add(
        all_urls,
        labels=label or [],
        interval=interval,
        until=_until(until),
        max_interval=max_interval,
        fixed=fixed,
        render=render,
    )
    notice = next((a.notice for a in added if a.notice), None)
    if notice:
        err.print(f"note: {notice}", markup=False, highlight=False)
    if json_out:
        print_json([_added_json(a) for a in added])
        return
    now = state.tracker.clock()
    new = sum(a.created for a in added)
    for a in added:
        verb = "added" if a.created else "already tracked"
        say(escape(f"{verb}  {a.url}  (next check: {_next_check(a.next_check_at, now)})"))
    say(f"[bold]{new}[/] added, {len(added) - new} already tracked")


def _added_json(a: Added) -> dict[str, object]:
    return {
        "url": a.url,
        "id": a.story_id,
        "created": a.created,
        "interval": a.interval_s,
        "next_check": iso(a.next_check_at),
    }


def _next_check(at: datetime | None, now: datetime) -> str:
    """``now`` when due, else the time; ``not scheduled`` for a paused or archived story."""
    if at is None:
        return "not scheduled"
    return "now" if at <= now else local_time(at)


def _until(text: str | None) -> datetime | None:
    try:
        return parse_datetime(text) if text else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _read_file(path: str) -> str:
    """A text file of URLs ('-': stdin), which must be UTF-8."""
    name = "stdin" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        text.encode("utf-8")  # stdin may carry undecodable bytes as lone surrogates
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    except UnicodeError as exc:
        where = getattr(exc, "start", 0)
        raise UsageError(f"cannot read {name}: not UTF-8 text (at offset {where})") from None
    return text


@app.command("list")
def list_(
    label: Annotated[
        str | None,
        typer.Option("--label", "-l", metavar="LABEL", help="Only stories with this label."),
    ] = None,
    state_: Annotated[
        str | None,
        typer.Option(
            "--state", metavar="STATE", help="developing, settled, gone, archived or paused."
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON (a list of stories).")
    ] = False,
) -> None:
    """List tracked stories: id, state, versions, last change, next check, schedule, URL.

    Piped or redirected: one story per line, URLs and titles in full."""
    stories = state.tracker.stories(label=label, state=state_)
    if json_out:
        print_json([rowjson.story_json(s) for s in stories])
        return
    if plain():
        columns = [*STORY_COLUMNS, "url", "labels", "title"]
        write_rows(columns, [[*_story_cells(s), s.url, _tags(s), s.title or ""] for s in stories])
    else:
        out.print(_story_table(stories))
    say(f"{len(stories)} {'story' if len(stories) == 1 else 'stories'}")


STORY_COLUMNS = ("id", "state", "versions", "last change", "next check", "every")


def _schedule(s: StoryInfo) -> str:
    """``2m``, ``2m (max 5m)`` with the story's own ceiling, ``3m fixed``."""
    every = format_duration(s.interval_s)
    if s.fixed:
        return f"{every} fixed"
    if s.max_interval_s:
        return f"{every} (max {format_duration(s.max_interval_s)})"
    return every


def _story_cells(s: StoryInfo) -> list[str]:
    scheduled = not s.paused and s.state != "archived"
    return [
        str(s.id),
        s.display_state,
        str(s.version_count),
        f"{local_time(s.last_changed_at)} {s.last_change_class or ''}".strip(),
        local_time(s.next_check_at) if scheduled else "-",
        _schedule(s),
    ]


def _tags(s: StoryInfo) -> str:
    return " ".join("#" + lab for lab in s.labels)


def _story_table(stories: list[StoryInfo]) -> Table:
    table = Table(box=None, header_style="bold")
    for col in STORY_COLUMNS:
        table.add_column(col)
    table.add_column("url / title", overflow="fold")  # a URL folds, never ends in "…"
    for s in stories:
        # Page titles are hostile input: never let them carry Rich markup.
        title = f"\n[dim]{escape(s.title)}[/]" if s.title else ""
        labels = f" [cyan]{escape(_tags(s))}[/]" if s.labels else ""
        table.add_row(*_story_cells(s), f"{escape(s.url)}{labels}{title}")
    return table


@app.command()
def remove(
    url: Annotated[str, typer.Argument(help="The story's URL.", metavar="URL")],
    purge: Annotated[
        bool,
        typer.Option(
            "--purge",
            help="Delete the story and its whole history for good (asks first on a terminal).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --purge.")] = False,
) -> None:
    """Stop tracking a story. Its history stays: it leaves the default list, and history,
    diff, show and exports still work on its URL (`list --state removed` shows it; `add`
    tracks it again). With --purge, delete the story and its history instead."""
    if not purge:
        info = state.tracker.remove(url)
        say(
            escape(
                f"stopped tracking {info.url}; its {info.version_count} versions are kept "
                "(remove --purge deletes them)"
            )
        )
        return
    info = state.tracker.story(url)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("--purge deletes the story's whole history: add --yes to confirm")
        question = f"Delete {info.url} and its {info.version_count} versions for good?"
        if not typer.confirm(question, default=False):
            raise UsageError("nothing deleted")
    state.tracker.purge(url)
    say(escape(f"deleted {info.url} ({info.version_count} versions)"))


@app.command()
def pause(url: Annotated[str, typer.Argument(help="The story's URL.", metavar="URL")]) -> None:
    """Stop checking a story for now (its history stays)."""
    info = state.tracker.set_paused(url, True)
    say(escape(f"paused {info.url}"))


@app.command()
def resume(url: Annotated[str, typer.Argument(help="The story's URL.", metavar="URL")]) -> None:
    """Check a paused story again (it is due at once)."""
    info = state.tracker.set_paused(url, False)
    say(escape(f"resumed {info.url}"))


def _outcome_line(o: CheckOutcome) -> str:
    style, word = OUTCOME_STYLE.get(o.outcome, ("", o.outcome))
    detail = ""
    if o.outcome in ("new_version", "returned", "gone") and o.version:
        detail = f" v{o.version} [{o.change_class}] {o.summary or ''}"
    elif o.outcome == "first_version":
        detail = f" v{o.version}"
    elif o.error:
        detail = f" ({o.error_kind}: {o.error})"

    return f"[{style}]{word:>13}[/] {escape(o.url)}{escape(detail)}"


@app.command()
def check(
    urls: Annotated[
        list[str] | None,
        typer.Argument(
            help="Stories to check now (default: every story that is due).",
            metavar="URL",
            show_default=False,
        ),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Check every story that is not paused, due or not.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per story, as a list.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only print changes and failures.")
    ] = False,
) -> None:
    """Check stories now, concurrently, and print what changed.

    Exit code 1 when any check failed (the failure is recorded; nothing is lost)."""
    t = state.tracker
    if urls:
        ids = [t.story(u).id for u in urls]
    elif all_:
        ids = t.checkable_ids()
    else:
        ids = t.due_ids()

    def shown(o: CheckOutcome) -> bool:
        return not json_out and (not quiet or o.outcome not in QUIET_OUTCOMES)

    def done(o: CheckOutcome) -> None:
        if shown(o):
            say(_outcome_line(o))

    if not ids:  # nothing to do: the check machinery (HTTP, extraction) is not even loaded
        results: list[CheckOutcome] = []
    elif not json_out and out.is_terminal and len(ids) > 1:
        results = _check_with_bar(ids, shown)
    else:
        results = t.check(ids, on_done=done)
    if json_out:
        print_json([rowjson.outcome_json(o) for o in results])
    elif not ids:
        say(f"nothing is due; next check {_next_due()} (use --all to check every story)")
    else:
        changed = sum(o.version is not None and o.outcome != "first_version" for o in results)
        failed = sum(o.failed for o in results)
        say(
            f"[bold]{len(results)}[/] checked, {changed} changed, {failed} failed; "
            f"next check {_next_due()}"
        )
    if any(o.failed for o in results):
        raise typer.Exit(1)


QUIET_OUTCOMES = ("unchanged", "not_modified")


def _check_with_bar(ids: list[int], shown: Callable[[CheckOutcome], bool]) -> list[CheckOutcome]:
    """Checks under a progress bar (a terminal only); outcome lines print above it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        task = progress.add_task("check", total=len(ids))

        def done(o: CheckOutcome) -> None:
            progress.advance(task)
            if shown(o):
                progress.console.print(_outcome_line(o), highlight=False)

        return state.tracker.check(ids, on_done=done)


def _next_due() -> str:
    """When the next scheduled check is due: ``now``, or the time with its zone. Two small
    queries: the first story due within the schedule's longest delay, then its time."""
    from tracker.schedule import MAX_DELAY_S
    from tracker.store import queries as q

    t = state.tracker
    now = t.clock()
    first = t.store.read(q.due_story_ids, now + timedelta(seconds=MAX_DELAY_S), 1)
    return _next_check(t.store.read(q.story_by_id, first[0]).next_check_at if first else None, now)


@app.command()
def history(
    url: Annotated[str, typer.Argument(help="The story's URL.", metavar="URL")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON: a list of versions.")
    ] = False,
) -> None:
    """One row per version: when it was first and last seen, its title, and what changed."""
    story, versions = state.tracker.history(url)
    if json_out:
        print_json([rowjson.version_json(v, story.url) for v in versions])
        return
    if plain():
        echo(story.url)
        write_rows(
            ("v", "first seen", "last seen", "class", "summary", "title"),
            [[*_version_cells(v), _what(v), v.title or ""] for v in versions],
        )
        return
    table = Table(box=None, header_style="bold", title=escape(story.url), title_justify="left")
    for col in ("v", "first seen", "last seen", "class", "title / summary"):
        table.add_column(col)
    previous_title = None
    for v in versions:
        # The title only where it changed, so the summaries stay readable in narrow terminals.
        lines = [escape(v.title)] if v.title != previous_title else []
        previous_title = v.title
        if v.summary:
            lines.append(f"[dim]{escape(v.summary)}[/]")
        what = "\n".join(lines)
        if v.unpublished:
            what = f"[red]{escape(_what(v))}[/]"
        table.add_row(*_version_cells(v), what)
    out.print(table)


def _version_cells(v: VersionInfo) -> list[str]:
    return [str(v.number), local_time(v.first_seen), local_time(v.last_seen), v.change_class or ""]


def _what(v: VersionInfo) -> str:
    return f"unpublished (HTTP {v.status_code})" if v.unpublished else (v.summary or "")


@app.command()
def diff(
    url: Annotated[str, typer.Argument(help="The story's URL.", metavar="URL")],
    from_: Annotated[
        int | None,
        typer.Option("--from", metavar="N", help="Old version (default: the one before --to)."),
    ] = None,
    to: Annotated[
        int | None, typer.Option("--to", metavar="N", help="New version (default: the latest).")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="text, unified, json, markdown, html, summary, png (the card) or alt.",
        ),
    ] = "text",
    fragment: Annotated[
        bool,
        typer.Option(
            "--fragment", help="With --format html: the bare fragment, to embed in a page."
        ),
    ] = False,
    width: Annotated[
        int,
        typer.Option("--width", metavar="PX", help="With --format png: card width, 400-1200."),
    ] = 1200,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write to FILE (png: required on a terminal)."
        ),
    ] = None,
) -> None:
    """Show what changed between two versions (default: the last two).

    text: coloured on a terminal; piped or with NO_COLOR, plain with git's word-diff markers,
    [-deleted-]{+inserted+}. html: a standalone page styled as in the web UI.
    png: the diff card, an image ready to post (to stdout only when it is piped);
    alt: the card's alt text, what changed in words."""
    from tracker import render
    from tracker.commands.cards import check_png_target, write_output

    if fmt not in render.RENDERERS:
        raise UsageError(f"unknown --format {fmt!r} (choose from {', '.join(render.RENDERERS)})")
    if fmt == "png":
        check_png_target(output, width)
    result = state.tracker.diff(url, from_, to)
    report, meta = result.report, result.meta
    if fmt == "png" or output is not None:
        options = {"width": width} if fmt == "png" else {}
        write_output(render.RENDERERS[fmt](report, meta, **options), output)
        return
    if fmt in ("text", "html"):  # for people: times as everywhere else in the CLI
        meta = {**meta, **{k: readable_time(meta.get(k)) for k in ("from_time", "to_time")}}
    if fmt == "text" and not plain():
        out.print(render.render_terminal(report, meta))
    elif fmt == "text":
        sys.stdout.write(render.render_plain(report, meta))
    elif fmt == "json":
        print_json(render.render_json(report, meta))
    elif fmt == "html" and not fragment:
        sys.stdout.write(render.render_html_page(report, meta))
    else:
        sys.stdout.write(render.RENDERERS[fmt](report, meta).rstrip("\n") + "\n")


@app.command()
def show(
    url: Annotated[str, typer.Argument(help="The story's URL.", metavar="URL")],
    version: Annotated[
        int | None,
        typer.Option("--version", "-v", metavar="N", help="Version number (default: the latest)."),
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Write the raw snapshot bytes as served.")
    ] = False,
) -> None:
    """Print a version's article text, or with --raw the page exactly as it was served."""
    if raw:
        _, data = state.tracker.raw(url, version)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    v, text = state.tracker.show(url, version)
    sys.stdout.write(f"# {v.title}\n")
    meta = [f"version {v.number}", f"first seen {iso(v.first_seen)}"]
    if v.byline:
        meta.append(f"by {v.byline}")
    if v.published:
        meta.append(f"published {v.published}")
    if v.modified:
        meta.append(f"modified {v.modified}")
    sys.stdout.write("  ".join(meta) + "\n\n" + text + "\n")


def _mount() -> None:
    """Command groups owned by their subsystems."""
    from tracker.commands import daemon, db, feeds, notify, web

    daemon.register(app)
    web.register(app)
    app.add_typer(feeds.feed_app, name="feed")
    app.add_typer(notify.notify_app, name="notify")
    app.add_typer(db.db_app, name="db")
    from tracker.commands import search  # issue 13: `search`, `reindex`

    search.register(app)
    from tracker.commands import users  # issue 18: the desk's accounts

    app.add_typer(users.user_app, name="user")


_mount()


def main(*, exit_fast: bool = True) -> None:
    """Entry point: one place turns errors into a one-line message and an exit code.

    ``exit_fast`` (the command line): once the command is done, the output flushed, the
    database closed and every atexit handler run, the process ends with ``os._exit``
    instead of tearing the interpreter down object by object: that teardown (SQLAlchemy,
    Typer, aiohttp, ... ~0.2 s) was an eighth of a `check --all` of 304s (issue 17).
    In-process callers (the tests) pass False and get ``SystemExit`` as before."""
    code = _run()
    if exit_fast:
        _exit_now(code)
    sys.exit(code)


def _run() -> int:
    try:
        with _only_the_command(sys.argv[1:]):
            rc = app(standalone_mode=False)
    except TrackerError as exc:
        err.print(f"error: {exc}", markup=False)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted", markup=False)
        return 130
    except Exception as exc:
        # Click's usage errors (vendored inside newer Typer): duck-typed, they print themselves.
        code, message = getattr(exc, "exit_code", None), getattr(exc, "format_message", None)
        if callable(message) and isinstance(code, int):
            err.print(f"error: {message()}", markup=False)
            return code
        raise
    return rc if isinstance(rc, int) else 0


# The global options that take a value (the token after them is not a command's name).
_GLOBAL_VALUED = ("--config", "-c")


def _command_named(argv: list[str]) -> str | None:
    """The command (or group) the arguments name after the global options; None when they
    ask the whole app something first (--help, --version, shell completion)."""
    args = iter(argv)
    for arg in args:
        if arg in _GLOBAL_VALUED:
            next(args, None)
        elif arg.startswith("--config=") or (arg.startswith("-c") and not arg.startswith("--")):
            continue
        elif arg.startswith("-"):
            return None
        else:
            return arg
    return None


@contextlib.contextmanager
def _only_the_command(argv: list[str]) -> Iterator[None]:
    """Typer builds every command's parameters (signatures, type hints, pydantic adapters)
    before it parses anything: ~0.1 s for ~40 commands, of which a run uses one. When the
    arguments name a command, the app is built with that command alone, and put back after.
    A name that is no command builds the whole app, so Click can say what there is."""
    name = _command_named(argv)
    commands = [c for c in app.registered_commands if _name_of(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if name is None or not (commands or groups):
        yield
        return
    saved = app.registered_commands, app.registered_groups
    app.registered_commands, app.registered_groups = commands, groups
    try:
        yield
    finally:
        app.registered_commands, app.registered_groups = saved


def _name_of(command: CommandInfo) -> str | None:
    if command.name:
        return command.name
    callback = command.callback
    return typer.main.get_command_name(callback.__name__) if callback is not None else None


def _exit_now(code: int) -> NoReturn:
    """What a normal exit does that matters (output, the database, atexit), then the end."""
    if state._tracker is not None:
        with contextlib.suppress(Exception):  # a database that fails now already said so
            state._tracker.close()  # SQLite checkpoints its WAL and removes it, as at exit
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to flush to
            stream.flush()
    atexit._run_exitfuncs()  # logging, multiprocessing, temporary files, anyone's handlers
    os._exit(code)
