"""The built-in provider emulator as the demo's data source."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenwallet.emulator import RunningEmulator


def start_demo_emulator() -> RunningEmulator | None:
    """Start the built-in provider emulator on 127.0.0.1, or None when it cannot start."""
    try:
        from tokenwallet.emulator import start_emulator

        return start_emulator()
    except OSError:  # the port could not be bound
        return None
