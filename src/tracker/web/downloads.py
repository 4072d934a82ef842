"""``/export.{jsonl,csv,warc}``: the exports of ``tracker export`` as downloads, for the
buttons on a story's page and on the stories list. Written to a temporary file first (the
export streams in constant memory), then sent in chunks."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from tracker import export as exporter
from tracker.export import ExportSpec
from tracker.store import Store
from tracker.web.params import story_filter
from tracker.web.security import require_read
from tracker.web.state import get_store

router = APIRouter(dependencies=[Depends(require_read)], include_in_schema=False)
MEDIA = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "warc": "application/warc",
}
CHUNK = 64 * 1024


@router.get("/export.{fmt}")
def download(
    fmt: Literal["jsonl", "csv", "warc"],
    what: Literal["stories", "versions", "changes", "sentences"] = "versions",
    story: int | None = story_filter("only this story"),
    label: str | None = Query(None, max_length=128),
    store: Store = Depends(get_store),
) -> StreamingResponse:
    spec = ExportSpec(fmt=fmt, what="versions" if fmt == "warc" else what, label=label or None)
    if story is not None:
        spec = ExportSpec(fmt=spec.fmt, what=spec.what, story_id=story)
    spec.check()
    fh = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _chunks, after the response)
    try:
        exporter.export(store, spec, fh, gzip=fmt == "warc")
    except BaseException:
        fh.close()
        raise
    fh.seek(0)
    scope = f"story-{story}" if story is not None else (f"label-{label}" if label else "all")
    name = f"tracker-{scope}-{spec.what}.{'warc.gz' if fmt == 'warc' else fmt}"
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in name)
    headers = {"Content-Disposition": f'attachment; filename="{safe}"'}
    return StreamingResponse(_chunks(fh), media_type=MEDIA[fmt], headers=headers)


def _chunks(fh: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := fh.read(CHUNK):
            yield chunk
    finally:
        fh.close()
