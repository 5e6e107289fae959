"""The tray app; the only package that imports PySide6."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def run_gui(app: AppContext, *, demo: bool = False, background: bool = False) -> int:
    """Start the tray app and return its exit status."""
    raise SystemExit("The tray app is not built yet; use the subcommands (tokenwallet --help).")
