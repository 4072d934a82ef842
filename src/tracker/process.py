"""Facts about local processes, for leases and worker lifetimes."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """Does process ``pid`` exist on this machine (someone else's counts)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, but is not ours to signal
        return True
    return True
