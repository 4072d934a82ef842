"""Third-party archiving (``[archive]``, off by default): each new version's URL is submitted
once to a Save Page Now-style endpoint, and the copy's URL is kept on the version.

The check writes an ``archive_job`` row in its own transaction (``store/archive.py``), so it
never waits on the archive; ``deliver`` (run by the daemon with the notification outbox)
claims due jobs with a lease and submits them one by one:

- ``POST {endpoint}`` with the form ``url=<page>``, ``Accept: application/json`` and, when
  keys are set, ``Authorization: LOW {access_key}:{secret_key}`` (the Internet Archive's
  form); the keys and endpoint may be ``${ENV_VAR}`` references, read at submission.
- The copy's URL is read from the answer: JSON ``archive_url``; or JSON ``timestamp`` (with
  ``original_url``), as ``{endpoint's origin}/web/{timestamp}/{url}``; or the
  ``Content-Location`` / ``Location`` header. Only http(s) URLs are taken.
- A failure (network, 5xx, no URL in the answer) is retried with the outbox's exponential
  backoff until ``max_attempts``; a 429 or 503 honours ``Retry-After`` and ends the pass (the
  other claimed jobs are released untouched), so a rate limit is not hammered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

import httpx

from tracker.config import ArchiveSettings, Settings
from tracker.errors import ConfigError
from tracker.fetch import tls_context
from tracker.notify.timing import retry_delay
from tracker.store import Store
from tracker.store import archive as ar
from tracker.timeparse import retry_after_seconds, utcnow

log = logging.getLogger("tracker.archive")
USER_AGENT = "tracker-archive/0.1"
MAX_URL = 2048


@dataclass(frozen=True, slots=True)
class Submission:
    """One submission's outcome: the copy's URL, or why not and when to try again."""

    archive_url: str | None = None
    error: str | None = None
    retry_after: float | None = None
    rate_limited: bool = False


@dataclass(slots=True)
class ArchiveStats:
    archived: int = 0
    retried: int = 0
    failed: int = 0


def _safe(url: object) -> str | None:
    if not isinstance(url, str) or len(url) > MAX_URL:
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def archive_url_from(response: httpx.Response, endpoint: str, page_url: str) -> str | None:
    """The copy's URL in an endpoint's answer (see the module docstring), or None."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        if _safe(data.get("archive_url")):
            return str(data["archive_url"])
        stamp = data.get("timestamp")
        if isinstance(stamp, str) and stamp.isdigit():
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(endpoint))
            return _safe(f"{origin}/web/{stamp}/{data.get('original_url') or page_url}")
    for header in ("content-location", "location"):
        if response.headers.get(header):
            return _safe(urljoin(endpoint, response.headers[header]))
    return None


def submit(settings: ArchiveSettings, page_url: str) -> Submission:
    """Ask the endpoint to archive one page; never raises for a failed submission."""
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if settings.access_key or settings.secret_key:
        headers["Authorization"] = f"LOW {settings.access_key}:{settings.secret_key}"
    try:
        with httpx.Client(timeout=settings.timeout, verify=tls_context()) as client:
            r = client.post(settings.endpoint, data={"url": page_url}, headers=headers)
    except httpx.HTTPError as exc:
        return Submission(error=f"{type(exc).__name__}: {exc}")
    if r.status_code in (429, 503):
        wait = retry_after_seconds(r.headers.get("retry-after"), utcnow())
        return Submission(error=f"HTTP {r.status_code}", retry_after=wait, rate_limited=True)
    if not 200 <= r.status_code < 400:
        return Submission(error=f"HTTP {r.status_code}")
    found = archive_url_from(r, settings.endpoint, page_url)
    if found is None:
        return Submission(error="no archive URL in the answer")
    return Submission(archive_url=found)


def deliver(
    store: Store, settings: Settings, *, owner: str, now: datetime, limit: int = 20
) -> ArchiveStats:
    """One pass over the due archive jobs; safe to run from several processes at once."""
    stats = ArchiveStats()
    if not settings.archive.enabled:
        return stats
    try:
        cfg = settings.archive.resolved()
    except ConfigError as exc:
        log.warning("archive: %s; submissions wait", exc)
        return stats
    lease_s = cfg.timeout + 30
    tasks = store.write(ar.claim_archive_jobs, owner=owner, now=now, limit=limit, lease_s=lease_s)
    for n, task in enumerate(tasks):
        result = submit(cfg, task.url)
        if result.archive_url:
            url = result.archive_url
            store.write(ar.finish_archive_job, task, owner=owner, archive_url=url, archived_at=now)
            stats.archived += 1
            continue
        _retry(store, cfg, task, result, owner=owner, now=now, stats=stats)
        if result.rate_limited:  # the endpoint said stop: leave the rest for a later pass
            store.write(ar.release_archive_jobs, [t.id for t in tasks[n + 1 :]], owner)
            break
    return stats


def _retry(
    store: Store,
    cfg: ArchiveSettings,
    task: ar.ArchiveTask,
    result: Submission,
    *,
    owner: str,
    now: datetime,
    stats: ArchiveStats,
) -> None:
    attempts = task.attempts + 1
    error = result.error or "failed"
    if attempts >= cfg.max_attempts:
        store.write(ar.retry_archive_job, task, owner=owner, error=error, next_at=None)
        stats.failed += 1
        log.error("archiving %s failed for good: %s", task.url, error)
        return
    delay = retry_delay(attempts, retry_after=result.retry_after)
    next_at = now + timedelta(seconds=delay)
    store.write(ar.retry_archive_job, task, owner=owner, error=error, next_at=next_at)
    stats.retried += 1
