"""Every error the tracker raises on purpose, with its exit code and HTTP status.

    TrackerError                      exit 1, HTTP 500
    ├── UsageError                    exit 2, HTTP 400   bad arguments, bad durations/dates
    │   └── ConfigError               exit 2             bad file, unknown key, wrong type
    ├── NotFound                      exit 2, HTTP 404   unknown story, version, channel
    ├── StoreBusy                     exit 1, HTTP 503   another daemon owns the SQLite file
    ├── StoreError                    exit 1, HTTP 503   the database failed: full, gone, locked
    └── FetchError                    exit 1, HTTP 502   a check failed; `kind` says why
        ├── AddressRefused            kind "address"     private/loopback target, guard on
        ├── TooLarge                  kind "too_large"   body over the byte cap (also decoded)
        ├── NotArticle                kind "not_html"    PDF, JSON, image, empty body
        ├── HttpStatus                kind "http"        4xx/5xx; 404/410 mean "gone"
        └── MalformedResponse         kind "protocol"    not HTTP: bad status line, headers,
                                                         chunking, a truncated message
    FetchError's own kinds: "network" (cannot connect, connection broke), "timeout" (the
    check's deadline, a stalled connection), "dns", "bad_url", "redirects", "encoding",
    "robots", "internal" (a bug: recorded, never raised on purpose).

Lower-level errors (httpx, zstandard, lxml) are translated once, where they are caught, with
``raise ... from exc``. Front ends (CLI, web) turn these into output in one place each.
"""

from __future__ import annotations

from collections.abc import Sequence


class TrackerError(Exception):
    exit_code = 1
    http_status = 500


class UsageError(TrackerError):
    exit_code = 2
    http_status = 400


class ConfigError(UsageError):
    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path, self.key, self.problem = path, key, problem
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {problem}")


class NotFound(TrackerError):
    exit_code = 2
    http_status = 404


class StoreBusy(TrackerError):
    http_status = 503


class StoreError(TrackerError):
    """The database refused a read or a write (disk full, server down): nothing was written."""

    http_status = 503


class FetchError(TrackerError):
    """A check that did not produce a page we can read. ``kind`` is stable, for stats."""

    http_status = 502
    kind = "network"

    def __init__(
        self,
        reason: str,
        *,
        kind: str | None = None,
        status_code: int | None = None,
        retry_after_s: float | None = None,
        final_url: str | None = None,
    ) -> None:
        super().__init__(reason)
        if kind:
            self.kind = kind
        self.reason = reason
        self.status_code = status_code
        self.retry_after_s = retry_after_s
        # Every HTTP request the fetch made, and the kinds of the failures it retried.
        self.attempts = 1
        self.retried: tuple[str, ...] = ()
        self.elapsed_ms: float | None = None  # the whole fetch, every attempt and pause
        self.final_url = final_url


class Interstitial(FetchError):
    """A 200 that is a bot check or a challenge page ("Just a moment..."), not the article."""

    kind = "interstitial"


class AddressRefused(FetchError):
    kind = "address"


class TooLarge(FetchError):
    kind = "too_large"


class NotArticle(FetchError):
    kind = "not_html"


class HttpStatus(FetchError):
    kind = "http"

    @property
    def gone(self) -> bool:
        return self.status_code in (404, 410)


class MalformedResponse(FetchError):
    kind = "protocol"


def with_attempts(reason: str, steps: Sequence[str]) -> str:
    """A failure's reason naming each attempt when there were several:
    "HTTP 502 (3 attempts: HTTP 500, then HTTP 500, then HTTP 502)"."""
    if len(steps) < 2:
        return reason
    return f"{reason} ({len(steps)} attempts: {', then '.join(steps)})"
