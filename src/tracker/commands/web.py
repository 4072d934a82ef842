"""`tracker serve` (the web UI and JSON API) and `tracker export` (JSONL, CSV, WARC)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from tracker.clikit import err, state
from tracker.errors import UsageError
from tracker.timeparse import optional_datetime

if TYPE_CHECKING:
    from tracker.export import ExportSpec
    from tracker.store import Store


def serve(
    host: Annotated[
        str | None,
        typer.Option("--host", metavar="HOST", help="Address to bind (default from [web] host)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", "-p", metavar="PORT", help="Port (default from [web] port)."),
    ] = None,
) -> None:
    """Serve the web UI, the JSON API (/api, docs at /api/docs) and Atom feeds."""
    import uvicorn

    from tracker.web import create_app

    t = state.tracker
    t.ready()  # migrate before the first request, so a new database works at once
    web = t.settings.web
    host = host or web.host
    port = port if port is not None else web.port
    if not _is_loopback(host):
        err.print(
            f"warning: serving on {host}, reachable from other machines; "
            + ("writes need the token" if web.token else "the API is read-only (no token)"),
            markup=False,
        )
    err.print(f"serving http://{host}:{port}/ (Ctrl-C stops)", markup=False)
    uvicorn.run(create_app(t), host=host, port=port, log_level="info", server_header=False)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def _open_output(path: str) -> Iterator[IO[bytes]]:
    """stdout for '-', else a '.part' file renamed into place only when complete."""
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    final = Path(path)
    part = final.with_name(final.name + ".part")
    try:
        with part.open("wb") as fh:
            yield fh
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, final)


def export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="jsonl, csv, warc, or sqlite (a flat archive for Datasette and pandas, with "
            "full-text search and metadata.json; needs -o).",
        ),
    ] = "jsonl",
    what: Annotated[
        str,
        typer.Option(
            "--what",
            "-w",
            metavar="WHAT",
            help="stories, versions (with text), changes, sentences (one row per sentence "
            "operation between consecutive versions: equal, insert, delete, update, move), or "
            "cards (a PNG + alt .txt per change into the directory -o names).",
        ),
    ] = "versions",
    label: Annotated[
        str | None,
        typer.Option("--label", "-l", metavar="LABEL", help="Only stories with this label."),
    ] = None,
    story: Annotated[
        str | None, typer.Option("--story", metavar="URL", help="Only this story (URL).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="TIME", help="From this time on (ISO date or time)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="TIME", help="Before this time (ISO date or time)."),
    ] = None,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="File to write, '-' for stdout.",
        ),
    ] = "-",
    no_gzip: Annotated[
        bool,
        typer.Option(
            "--no-gzip",
            help="WARC: write plain records (default: each record gzipped, as .warc.gz readers "
            "expect, also on stdout).",
        ),
    ] = False,
) -> None:
    """Export stories, versions or changes as JSONL or CSV, or raw snapshots as WARC; or the
    diff cards of the changes (--what cards -o DIR).

    Streams in constant memory. A progress bar shows on a terminal unless writing to stdout."""
    from tracker import export as exporter
    from tracker.export import ExportSpec

    t = state.tracker
    if what == "cards":
        _export_cards(
            label,
            story,
            optional_datetime(since, "--since"),
            optional_datetime(until, "--until"),
            output,
        )
        return
    spec = ExportSpec(
        fmt=fmt,
        what=what,
        label=label,
        since=optional_datetime(since, "--since"),
        until=optional_datetime(until, "--until"),
    )
    spec.check()
    if story:
        spec = replace(spec, story_id=t.story(story).id)
    if fmt == "sqlite":  # issue 13: a file, not a stream
        n = exporter.export_sqlite(t.store, spec, output)
        err.print(f"wrote {n} stories to {output} (and metadata.json beside it)", markup=False)
        return
    gzip = fmt == "warc" and not no_gzip
    if output == "-" or not err.is_terminal:
        with _open_output(output) as fh:
            n = exporter.export(t.store, spec, fh, gzip=gzip)
    else:
        n = _export_with_bar(t.store, spec, output, gzip)
    if output != "-":
        err.print(f"wrote {n} {what} to {output}", markup=False)


def _export_cards(
    label: str | None,
    story: str | None,
    since: datetime | None,
    until: datetime | None,
    output: str,
) -> None:
    from tracker.export import ExportSpec
    from tracker.export_cards import export_cards

    if output == "-":
        raise UsageError("--what cards writes files: name a directory with -o DIR")
    t = state.tracker
    spec = ExportSpec(fmt="jsonl", what="changes", label=label, since=since, until=until)
    if story:
        spec = replace(spec, story_id=t.story(story).id)
    n = export_cards(t.store, spec, Path(output), web_base=t.settings.web.base_url)
    err.print(f"wrote {n} cards to {output}", markup=False)


def _export_with_bar(store: Store, spec: ExportSpec, output: str, gzip: bool) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from tracker import export as exporter

    total = exporter.estimate(store, spec)
    columns = [TextColumn(f"exporting {spec.what}"), BarColumn(), MofNCompleteColumn()]
    columns += [TaskProgressColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("export", total=total)
        with _open_output(output) as fh:
            return exporter.export(store, spec, fh, tick=lambda: progress.advance(task), gzip=gzip)


def register(app: typer.Typer) -> None:
    """Add `serve` and `export` to the `tracker` command."""
    app.command()(serve)
    app.command()(export)
