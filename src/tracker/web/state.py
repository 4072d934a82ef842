"""What every handler may use, set once by ``create_app``: the store, ``[web]``, the clock.

Handlers read through the store (``store.read(q.fn, ...)``); the few that compose stages
(add, pause, remove, diff) call the :class:`Tracker` operation of that name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from tracker.config import WebSettings
from tracker.service import Tracker
from tracker.store import Store


@dataclass(frozen=True, slots=True)
class WebState:
    store: Store
    web: WebSettings
    clock: Callable[[], datetime]
    tracker: Tracker

    @classmethod
    def of(cls, tracker: Tracker) -> WebState:
        return cls(tracker.store, tracker.settings.web, tracker.clock, tracker)


def get_state(request: Request) -> WebState:
    state = request.app.state.web
    assert isinstance(state, WebState), "create_app sets app.state.web"
    return state


def get_store(request: Request) -> Store:
    return get_state(request).store


def get_web(request: Request) -> WebSettings:
    return get_state(request).web


def get_tracker(request: Request) -> Tracker:
    return get_state(request).tracker
