"""How many processors an import may use (for its scanning workers and SQLite's sorter)."""

from __future__ import annotations

import os


def usable_cpus() -> int:
    """How many processors this process may run on (its affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
