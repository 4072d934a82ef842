"""Shared pieces of the command line: the lazily built Tracker, consoles, JSON output."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console

from tracker import rowjson

if TYPE_CHECKING:
    from tracker.service import Tracker

out = Console()
err = Console(stderr=True, highlight=False, soft_wrap=True)


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


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def iso(value: datetime | None) -> str | None:
    return rowjson.iso(value)


def local_time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"
