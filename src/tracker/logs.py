"""Logging for the daemon: readable text, or one JSON object per line for log shippers.

What the daemon says, by level:

- DEBUG: one line per check (URL, outcome, HTTP status, milliseconds, attempts, next check);
- INFO: a summary line a minute (checks by outcome, errors by kind, the due queue, the oldest
  overdue check, checks in flight), each retry of a fetch (attempt n/max and when), changes,
  check partitions created and check rows pruned (daily, ``store/retention.py``);
- WARNING and up: failed checks, the database failing, leases taken back, retention that
  failed or could not create or swap partitions (the runtime role).

Fields passed with ``extra=`` are top-level keys of a JSON line; in text they are in the
message already. APScheduler logs every job run at INFO, so its loggers stay at WARNING, and
its "maximum number of running instances reached" warning is dropped: a dispatch job that
ticks every second skips a tick whenever the previous round is still claiming, which is
normal and would flood the log. The daemon counts those skipped runs in its summary line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
SKIPPED_RUN = "maximum number of running instances reached"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Fields passed with `extra=` become top-level keys.
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def drop_skipped_runs(record: logging.LogRecord) -> bool:
    """A logging filter: False for APScheduler's "skipped: maximum number of running
    instances reached" (counted by the daemon instead), True for everything else."""
    return SKIPPED_RUN not in str(record.msg)


def setup_logging(fmt: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # DEBUG is the tracker's own detail (a line per check): the libraries' DEBUG output
    # (httpcore's connection events, trafilatura's extraction notes) would bury it.
    wanted = logging.getLevelNamesMapping()[level.upper()]
    root.setLevel(max(wanted, logging.INFO))
    logging.getLogger("tracker").setLevel(wanted)
    # APScheduler logs every job run at INFO; that drowns the tracker's own lines.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = logging.getLogger("apscheduler.scheduler")
    if drop_skipped_runs not in scheduler.filters:
        scheduler.addFilter(drop_skipped_runs)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
