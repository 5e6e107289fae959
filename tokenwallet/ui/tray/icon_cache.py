"""The last meter state, kept in a tiny file so the next start draws a meaningful icon at once.

The first icon is drawn before the ledger is opened; reading two words from this file costs far
less.  The real status replaces it as soon as the first snapshot is computed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

from tokenwallet.ui.tray.meter_state import Severity

ICON_CACHE_FILE = "tray-icon.txt"
_VERSION = "v1"


class CachedIcon(NamedTuple):
    """The share used and the state colour shown when the previous run last drew its icon."""

    percent: float | None
    severity: Severity


def read_cached_icon(path: Path) -> CachedIcon | None:
    """The cached state, or None when there is none or it cannot be read (never an error)."""
    try:
        version, percent, severity = path.read_text(encoding="utf-8").split()
        if version != _VERSION:
            return None
        return CachedIcon(None if percent == "-" else float(percent), Severity(severity))
    except (OSError, ValueError):
        return None


def write_cached_icon(path: Path, cached: CachedIcon) -> None:
    """Replace the cache file atomically; a failure is logged and otherwise ignored (it is only a hint)."""
    percent = "-" if cached.percent is None else f"{cached.percent:.1f}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        from tokenwallet.files import atomic_write

        atomic_write(path, f"{_VERSION} {percent} {cached.severity.value}\n".encode())
    except OSError as exc:
        logging.getLogger(__name__).debug("could not write the icon cache %s: %s", path, exc)
