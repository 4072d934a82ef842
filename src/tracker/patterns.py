"""Regular expressions written by the operator: a feed's ``--match``, ``[[extract.rules]] url``,
a channel's ``keywords``.

They are compiled with RE2, which matches in time linear in the text: no pattern, however it
is written, can backtrack for minutes on a long URL or page and hold the feed poller or the
notifier (Python's ``re`` takes exponential time on ``(a+)+$`` against a run of ``a``'s and a
``!``). RE2 has no backreferences and no lookaround, and its ``\\b``, ``\\d``, ``\\w`` are
ASCII; a pattern it cannot compile is refused where it is given (``tracker feed add``, the
API, loading the config) with one line naming it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import re2

from tracker.errors import UsageError


class Pattern(Protocol):
    """What the tracker asks of a compiled user pattern."""

    def search(self, text: str, /) -> object | None: ...


def compile_user_pattern(text: str, what: str, *, ignore_case: bool = False) -> Pattern:
    """``text`` compiled by RE2 (cached), or UsageError naming ``what`` and the pattern."""
    try:
        return _compiled(text, ignore_case)
    except (re2.error, UnicodeError) as exc:  # UnicodeError: a lone surrogate from argv
        raise UsageError(f"{what}: bad regular expression {text!r}: {_reason(exc)}") from None


@lru_cache(maxsize=512)
def _compiled(text: str, ignore_case: bool) -> Pattern:
    options = re2.Options()
    options.log_errors = False  # RE2 would also print each refusal to stderr
    options.case_sensitive = not ignore_case
    pattern: Pattern = re2.compile(text, options)
    return pattern


def _reason(exc: Exception) -> str:
    """RE2's message, which it hands over as bytes."""
    reason = exc.args[0] if exc.args else exc
    if isinstance(reason, bytes):
        return reason.decode("utf-8", "replace")
    return str(reason)


__all__ = ["Pattern", "compile_user_pattern"]
