"""The ``tracker`` command: a thin shell over :class:`tracker.service.Tracker`.

Exit codes: 0 ok, 1 a check failed (or another runtime failure), 2 usage or config error.
Errors go to stderr on one line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tracker import __version__, rowjson
from tracker.clikit import err, iso, local_time, out, print_json, state
from tracker.errors import TrackerError, UsageError
from tracker.records import CheckOutcome
from tracker.timeparse import format_duration, parse_datetime

app = typer.Typer(
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
        out.print(f"tracker {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
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
    out.print(f"database ready at {t.store.safe_url} (schema {rev})", markup=False)


@app.command()
def add(
    urls: Annotated[
        list[str] | None, typer.Argument(help="Article URLs to track.", show_default=False)
    ] = None,
    from_file: Annotated[
        str | None,
        typer.Option(
            "--from-file",
            "-f",
            help="Read URLs from a file, one per line ('-' for stdin). "
            "Blank lines and # comments are skipped.",
        ),
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="Label for the stories (repeatable).")
    ] = None,
    interval: Annotated[
        str | None,
        typer.Option(
            "--interval",
            "-i",
            help="Check interval, e.g. 30s, 5m, 2h (default from [schedule] default_interval).",
        ),
    ] = None,
    max_interval: Annotated[
        str | None,
        typer.Option(
            "--max-interval",
            metavar="DURATION",
            help="Never wait longer than this between checks of these stories, however long "
            "they stay unchanged (default: the [schedule] max_interval ceiling).",
        ),
    ] = None,
    fixed: Annotated[
        bool | None,
        typer.Option(
            "--fixed/--adaptive",
            help="--fixed: check exactly every --interval, no backoff; --adaptive: back to "
            "the adaptive schedule.",
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", help="Stop following after this date (YYYY-MM-DD, ISO time, or +3d)."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Track one or many story URLs. Adding a URL twice is harmless (labels are merged)."""
    all_urls = list(urls or [])
    if from_file:
        text = sys.stdin.read() if from_file == "-" else _read_file(from_file)
        all_urls += [
            ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")
        ]
    if not all_urls:
        raise UsageError("no URLs given (pass URLs or --from-file)")
    until_dt = None
    if until:
        try:
            until_dt = parse_datetime(until)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    added = state.tracker.add(
        all_urls,
        labels=label or [],
        interval=interval,
        until=until_dt,
        max_interval=max_interval,
        fixed=fixed,
    )
    notice = next((a.notice for a in added if a.notice), None)
    if notice:
        err.print(f"note: {notice}", markup=False, highlight=False)
    if json_out:
        print_json(
            [
                {"url": a.url, "id": a.story_id, "created": a.created, "interval": a.interval_s}
                for a in added
            ]
        )
        return
    new = sum(a.created for a in added)
    for a in added:
        out.print(
            f"{'added' if a.created else 'already tracked'}  {a.url}", highlight=False, markup=False
        )
    out.print(f"[bold]{new}[/] added, {len(added) - new} already tracked")


def _read_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


@app.command("list")
def list_(
    label: Annotated[
        str | None, typer.Option("--label", "-l", help="Only stories with this label.")
    ] = None,
    state_: Annotated[
        str | None, typer.Option("--state", help="developing, settled, gone, archived or paused.")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON (a list of stories).")
    ] = False,
) -> None:
    """List tracked stories with their state, versions and schedule."""
    stories = state.tracker.stories(label=label, state=state_)
    if json_out:
        print_json([rowjson.story_json(s) for s in stories])
        return
    table = Table(box=None, header_style="bold")
    for col in ("state", "versions", "last change", "next check", "every", "url / title"):
        table.add_column(col)
    for s in stories:
        # Page titles are hostile input: never let them carry Rich markup.
        title = f"\n[dim]{escape(s.title)}[/]" if s.title else ""
        tags = escape(" ".join("#" + lab for lab in s.labels))
        labels = f" [cyan]{tags}[/]" if s.labels else ""
        table.add_row(
            s.display_state,
            str(s.version_count),
            f"{local_time(s.last_changed_at)} {s.last_change_class or ''}".strip(),
            local_time(s.next_check_at) if s.state != "archived" else "-",
            format_duration(s.interval_s),
            f"{escape(s.url)}{labels}{title}",
        )
    out.print(table)
    out.print(f"{len(stories)} stories")


@app.command()
def remove(url: Annotated[str, typer.Argument(help="The story's URL.")]) -> None:
    """Stop tracking a story and delete its history."""
    info = state.tracker.remove(url)
    out.print(f"removed {info.url} ({info.version_count} versions)", highlight=False, markup=False)


@app.command()
def pause(url: Annotated[str, typer.Argument(help="The story's URL.")]) -> None:
    """Stop checking a story for now (its history stays)."""
    info = state.tracker.set_paused(url, True)
    out.print(f"paused {info.url}", highlight=False, markup=False)


@app.command()
def resume(url: Annotated[str, typer.Argument(help="The story's URL.")]) -> None:
    """Check a paused story again (it is due at once)."""
    info = state.tracker.set_paused(url, False)
    out.print(f"resumed {info.url}", highlight=False, markup=False)


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
            help="Stories to check now (default: every story that is due).", show_default=False
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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    t = state.tracker
    if urls:
        ids = [t.story(u).id for u in urls]
    elif all_:
        ids = [s.id for s in t.stories() if not s.paused and s.state != "archived"]
    else:
        ids = t.due_ids()
    show_bar = not json_out and out.is_terminal and len(ids) > 1
    results: list[CheckOutcome] = []
    if show_bar:
        with Progress(
            TextColumn("checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=out,
            transient=True,
        ) as progress:
            task = progress.add_task("check", total=len(ids))

            def done(o: CheckOutcome) -> None:
                progress.advance(task)
                if not quiet or o.outcome not in ("unchanged", "not_modified"):
                    progress.console.print(_outcome_line(o), highlight=False)

            results = t.check(ids, on_done=done)
    else:

        def done(o: CheckOutcome) -> None:
            if not json_out and (not quiet or o.outcome not in ("unchanged", "not_modified")):
                out.print(_outcome_line(o), highlight=False)

        results = t.check(ids, on_done=done)
    if json_out:
        print_json([rowjson.outcome_json(o) for o in results])
    elif not ids:
        out.print("nothing is due (use --all to check every story)")
    else:
        changed = sum(o.version is not None and o.outcome != "first_version" for o in results)
        failed = sum(o.failed for o in results)
        out.print(f"[bold]{len(results)}[/] checked, {changed} changed, {failed} failed")
    if any(o.failed for o in results):
        raise typer.Exit(1)


@app.command()
def history(
    url: Annotated[str, typer.Argument(help="The story's URL.")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON: a list of versions.")
    ] = False,
) -> None:
    """One row per version: when it was first and last seen, its title, and what changed."""
    story, versions = state.tracker.history(url)
    if json_out:
        print_json([rowjson.version_json(v, story.url) for v in versions])
        return
    table = Table(box=None, header_style="bold", title=story.url, title_justify="left")
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
            what = f"[red]unpublished (HTTP {v.status_code})[/]"
        table.add_row(
            str(v.number),
            local_time(v.first_seen),
            local_time(v.last_seen),
            v.change_class or "",
            what,
        )
    out.print(table)


@app.command()
def diff(
    url: Annotated[str, typer.Argument(help="The story's URL.")],
    from_: Annotated[
        int | None, typer.Option("--from", help="Old version (default: the one before --to).")
    ] = None,
    to: Annotated[
        int | None, typer.Option("--to", help="New version (default: the latest).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="text, unified, json, markdown, html or summary.")
    ] = "text",
) -> None:
    """Show what changed between two versions (default: the last two)."""
    from tracker import render

    if fmt not in render.RENDERERS:
        raise UsageError(f"unknown --format {fmt!r} (choose from {', '.join(render.RENDERERS)})")
    result = state.tracker.diff(url, from_, to)
    if fmt == "text":
        out.print(render.render_terminal(result.report, result.meta))
    elif fmt == "json":
        print_json(render.render_json(result.report, result.meta))
    else:
        sys.stdout.write(render.RENDERERS[fmt](result.report, result.meta).rstrip("\n") + "\n")


@app.command()
def show(
    url: Annotated[str, typer.Argument(help="The story's URL.")],
    version: Annotated[
        int | None, typer.Option("--version", "-v", help="Version number (default: the latest).")
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
    from tracker.commands import daemon, feeds, notify, web

    daemon.register(app)
    web.register(app)
    app.add_typer(feeds.feed_app, name="feed")
    app.add_typer(notify.notify_app, name="notify")


_mount()


def main() -> None:
    """Entry point: one place turns errors into a one-line message and an exit code."""
    try:
        rc = app(standalone_mode=False)
    except TrackerError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted", markup=False)
        sys.exit(130)
    except Exception as exc:
        # Click's usage errors (vendored inside newer Typer): duck-typed, they print themselves.
        code, message = getattr(exc, "exit_code", None), getattr(exc, "format_message", None)
        if callable(message) and isinstance(code, int):
            err.print(f"error: {message()}", markup=False)
            sys.exit(code)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)
