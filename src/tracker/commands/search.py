"""`tracker search` (every sentence and title ever published) and `tracker reindex`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from tracker import rowjson
from tracker.clikit import echo, err, local_time, plain, print_json, say, state
from tracker.errors import UsageError
from tracker.timeparse import optional_datetime

if TYPE_CHECKING:
    from tracker.searchquery import Query
    from tracker.store import Store
    from tracker.store.sentences import SentenceHit

SEARCH_HELP = """Find every sentence (or title) a story ever published, and when it appeared
and vanished.

QUERY: words (all must match), "an exact phrase", OR between words, -word to exclude,
prefix* for any word that starts so. Case and accents do not matter.

One result per story and sentence, newest first (by when the text appeared or vanished):
the versions that carried it (v3-v7), and whether the latest version still has it.

  tracker search 'evacuat* "central station"' --removed

  tracker search 'minister OR ministre -rumour' --label europe --since 2026-11-01 --json
"""


def search(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="What to look for (see above).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON list of results (fields in docs/search.md).")
    ] = False,
    removed: Annotated[
        bool, typer.Option("--removed", help="Only text the latest version no longer has.")
    ] = False,
    present: Annotated[
        bool, typer.Option("--present", help="Only text the latest version still has.")
    ] = False,
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label", "-l", metavar="L", help="Only stories with this label (repeat: any of them)."
        ),
    ] = None,
    story: Annotated[
        str | None, typer.Option("--story", metavar="URL", help="Only this story.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Text that appeared or vanished from this time on (ISO date or time).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="DATE", help="... before this time."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", metavar="N", min=1, max=10_000, help="At most N results."),
    ] = 50,
) -> None:
    from tracker.searchquery import parse
    from tracker.store import queries as q
    from tracker.store import search_index

    if removed and present:
        raise UsageError("--removed and --present exclude each other: give one")
    parsed = parse(query)
    t = state.tracker
    filters = q.SearchFilter(
        present=False if removed else True if present else None,
        labels=tuple(label or ()),
        story_id=t.story(story).id if story else None,
        since=optional_datetime(since, "--since"),
        until=optional_datetime(until, "--until"),
    )
    found = search_index.search(t.store, parsed, filters, limit=limit, with_total=False)
    if as_json:
        print_json([rowjson.search_hit_json(h, parsed) for h in found.items])
        return
    if not found.items:
        err.print("no sentence matches", markup=False)
        _warn_if_behind(t.store)
        return
    for hit in found.items:
        _print_hit(hit, parsed)
    _warn_if_behind(t.store)


def _print_hit(hit: SentenceHit, query: Query) -> None:
    from tracker.searchquery import highlight, snippet

    span = f"v{hit.first_version}" + (
        f"-v{hit.last_version}" if hit.last_version != hit.first_version else ""
    )
    fate = "present" if hit.present else f"removed {local_time(hit.removed_at)}"
    what = " (title)" if hit.kind == "title" else ""
    if plain():
        echo(f"{hit.story_id}  {span}  {fate}{what}  {hit.url}")
        echo(f"    {snippet(hit.text, query)}")
        return
    colour = "green" if hit.present else "red"
    say(f"[bold]{hit.story_id}[/]  {span}  [{colour}]{fate}[/]{what}  {escape(hit.url)}")
    marked = "".join(
        f"[bold yellow]{escape(piece)}[/]" if hit_ else escape(piece)
        for piece, hit_ in highlight(hit.text, query)
    )
    say(f"    {marked}")


def _warn_if_behind(store: Store) -> None:
    from tracker.store import queries as q

    progress = store.read(q.index_progress)
    if progress.behind:
        err.print(
            f"note: {progress.behind} of {progress.stories} stories are not fully indexed; "
            "run `tracker reindex`",
            markup=False,
        )


def reindex(
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="Forget the index and build it again from the versions."),
    ] = False,
) -> None:
    """Build the sentence index for versions it does not cover yet (a database from before
    the index, or after `--rebuild`).

    One transaction per story: stop it any time and run it again to go on where it stopped.
    Running it on an up-to-date index does nothing."""
    from tracker.store import queries as q
    from tracker.store import search_index

    store = state.tracker.store
    if rebuild:
        store.write(q.clear_index)
    progress = store.read(q.index_progress)
    versions = _reindex_all(store, progress.behind)
    search_index.bring_up_to_date(store)
    err.print(
        f"indexed {versions} versions of {progress.behind} stories "
        f"({progress.stories - progress.behind} were up to date)",
        markup=False,
    )


def _reindex_all(store: Store, total: int) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from tracker.store import queries as q

    columns = [TextColumn("indexing"), BarColumn(), MofNCompleteColumn()]
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    versions, after = 0, 0
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("reindex", total=total)
        while batch := store.read(q.stories_behind, after_id=after, limit=200):
            for story_id in batch:
                versions += store.write(q.reindex_story, story_id)
                bar.advance(task)
            after = batch[-1]
    return versions


def register(app: typer.Typer) -> None:
    """Add `search` and `reindex` to the `tracker` command."""
    app.command(help=SEARCH_HELP)(search)
    app.command()(reindex)
