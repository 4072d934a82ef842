"""CLI helpers for the diff card: where a PNG may go, and writing any rendering to a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tracker.errors import UsageError


def check_png_target(output: Path | None, width: int) -> None:
    """A PNG goes to a file, or to stdout when stdout is not a terminal (it would garble it)."""
    from tracker.cards import MAX_WIDTH, MIN_WIDTH

    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise UsageError(f"--width must be {MIN_WIDTH}-{MAX_WIDTH} px, not {width}")
    if output is None and sys.stdout.isatty():
        raise UsageError("--format png writes an image: pass --output FILE, or pipe the output")


def write_output(rendered: Any, output: Path | None) -> None:
    """Bytes, a dict (JSON) or text, to the file or stdout."""
    if isinstance(rendered, bytes):
        data = rendered
    elif isinstance(rendered, dict):
        data = (json.dumps(rendered, ensure_ascii=False, indent=2) + "\n").encode()
    else:
        data = (str(rendered).rstrip("\n") + "\n").encode()
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
