"""The two enums the tray icon is drawn from, kept apart so the first icon needs no other module.

:mod:`tokenwallet.ui.tray.view_state` re-exports them; start-up imports only this small module before
the icon is docked.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How the primary allowance stands; drives the icon colour."""

    NONE = "none"  # nothing configured
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    EXHAUSTED = "exhausted"


class Badge(StrEnum):
    """A small mark on the icon for data that should not be trusted as current."""

    NONE = "none"
    STALE = "stale"
    ERROR = "error"
    PAUSED = "paused"
