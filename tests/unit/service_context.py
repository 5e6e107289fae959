"""An AppContext over an in-memory ledger with a fixed clock, for testing the services directly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tokenwallet.app import AppContext
from tokenwallet.domain.clock import FixedClock
from tokenwallet.ledger.db import open_memory_ledger
from tokenwallet.settings import Settings


def memory_context(home: Path, now: datetime, *, timezone: str = "UTC") -> AppContext:
    """A context whose ledger lives in memory and whose clock stands at ``now``.

    The settings are given (not read from ``home``), so the tests do not depend on this
    machine's time zone.
    """
    ctx = AppContext.create(str(home), clock=FixedClock(now))
    ctx._settings = Settings(timezone=timezone)
    ctx._local.db = open_memory_ledger()
    return ctx
