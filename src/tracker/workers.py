"""Extraction in worker processes: both cores for bulk checks, and a crash stays contained.

A hostile page that kills a worker (lxml can segfault, memory can run out) or never finishes
fails only its own check; the pool is replaced and the next checks go on.

Workers end with the process that started them, even when it is killed with SIGKILL: each
watches its owner (``exit_with``) and exits when it is gone. Otherwise the workers would wait
on their task queue forever, and keep the forkserver and the resource tracker alive too.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, NamedTuple

from tracker.errors import FetchError
from tracker.extract import ExtractOptions, content_hash, fingerprint_and_extract
from tracker.process import process_alive
from tracker.records import Article
from tracker.sentence_keys import VersionSentences, version_sentences
from tracker.store import snapshots

if TYPE_CHECKING:
    from tracker.revision import ChangeReport

log = logging.getLogger("tracker.workers")
EXTRACT_TIMEOUT_S = 60.0


class ExtractionPool:
    """A lazily started process pool (forkserver: workers import only ``tracker.extract``)."""

    def __init__(self, workers: int, timeout_s: float = EXTRACT_TIMEOUT_S) -> None:
        self.workers = workers
        self.timeout_s = timeout_s
        self._pool: ProcessPoolExecutor | None = None

    def _get(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            # trafilatura too: tracker.extract imports it lazily, the workers need it at once.
            ctx.set_forkserver_preload(["tracker.extract", "trafilatura"])
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=exit_with,
                initargs=(os.getpid(),),
            )
        return self._pool

    async def run(
        self,
        body: bytes,
        charset: str | None,
        url: str,
        options: ExtractOptions,
        last_fingerprint: str | None,
        latest_sha256: str | None = None,
        *,
        keyframe: bool = False,
    ) -> Extraction:
        """``fingerprint_and_extract`` in a worker, with what the writer would otherwise do in
        the main process, which writes every version (see ``extract_for_check``)."""
        loop = asyncio.get_running_loop()
        pool = self._get()
        try:
            future = loop.run_in_executor(
                pool,
                extract_for_check,
                body,
                charset,
                url,
                options,
                last_fingerprint,
                keyframe,
                latest_sha256,
            )
            return await asyncio.wait_for(future, self.timeout_s)
        except BrokenProcessPool:
            log.error("an extraction worker died on %s; replacing the pool", url)
            self._recycle(pool)
            raise FetchError("the extraction worker crashed on this page", kind="extract") from None
        except TimeoutError:
            log.error("extraction of %s took over %.0fs; replacing the pool", url, self.timeout_s)
            self._recycle(pool)
            raise FetchError(
                f"extraction took over {self.timeout_s:.0f}s", kind="extract"
            ) from None

    async def compare(self, old: Article, new: Article) -> ChangeReport | None:
        """``revision.compare(old, new)`` in a worker: the comparison is the largest part of
        deciding a new version (~3 ms), and the main process, which decides and writes every
        version, is what limits the daemon's rate of changed pages. None when the worker
        failed: the caller compares in-process, as without a pool."""
        loop = asyncio.get_running_loop()
        pool = self._get()
        try:
            future = loop.run_in_executor(pool, compare_articles, old, new)
            return await asyncio.wait_for(future, self.timeout_s)
        except BrokenProcessPool:
            log.error("an extraction worker died comparing two versions; replacing the pool")
            self._recycle(pool)
        except TimeoutError:
            log.error("a comparison took over %.0fs; replacing the pool", self.timeout_s)
            self._recycle(pool)
        except Exception:  # a bug in the comparison: the main process will meet it too
            log.debug("comparison in a worker failed", exc_info=True)
        return None

    def _recycle(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is not pool:
            return  # another check already replaced it
        self._pool = None
        # Stuck workers would hold the old pool's processes forever: stop them.
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


class Extraction(NamedTuple):
    """What a worker returns for a page."""

    fingerprint: str | None  # None: the pre-check was skipped (extract_precheck.py)
    article: Article | None  # None: the fingerprint did not move
    keyed: VersionSentences | None  # the article's sentence-index keys
    keyframe: bytes | None  # the body compressed as a keyframe (``snapshots.encode(body)``)


def extract_for_check(
    body: bytes,
    charset: str | None,
    url: str,
    options: ExtractOptions,
    last_fingerprint: str | None,
    keyframe: bool = False,
    latest_sha256: str | None = None,
) -> Extraction:
    """Runs in a worker: the fingerprint, the article when the fingerprint moved, its
    ``version_sentences`` (splitting the text again in the writer cost ~1 ms a version) and,
    with ``keyframe`` (a story's first version: its snapshot is a keyframe), the compressed
    body (~1 ms for 100 KB). An article equal to the newest version (``latest_sha256``; read
    when the pre-check was skipped) needs neither."""
    fp, article = fingerprint_and_extract(
        body, charset, url, options, last_fingerprint, latest_sha256
    )
    if article is None:
        return Extraction(fp, None, None, None)
    if latest_sha256 is not None and content_hash(article) == latest_sha256:
        return Extraction(fp, article, None, None)
    plain = snapshots.encode(body)[1] if keyframe else None
    return Extraction(fp, article, version_sentences(article, unpublished=False), plain)


def compare_articles(old: Article, new: Article) -> ChangeReport:
    """Runs in a worker (imports the revision engine there on first use)."""
    from tracker import revision

    return revision.compare(old, new)


def default_workers(configured: int) -> int:
    return configured or (os.cpu_count() or 1)


def exit_with(owner_pid: int) -> None:
    """Worker initializer: end this process as soon as ``owner_pid`` ends, however it ends."""
    watcher = threading.Thread(
        target=_exit_when_gone, args=(owner_pid,), name="owner-watch", daemon=True
    )
    watcher.start()


def _exit_when_gone(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)  # readable once the process has ended (Linux 5.3+)
    except ProcessLookupError:
        os._exit(0)
    except OSError:  # no pidfd here: look every second
        while process_alive(pid):
            time.sleep(1.0)
        os._exit(0)
    select.select([fd], [], [])
    os._exit(0)
