"""What the old entry points (``deliver_due``, ``send_digests``) take: a ``Tracker``, or
anything with its store, settings and clock.

Only the daemon still calls them that way; the explicit functions (``deliver``,
``send_digest``) take exactly what they use. Delete this with the old entry points.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from tracker.config import Settings
from tracker.store import Store


class HasStore(Protocol):
    @property
    def store(self) -> Store: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...
