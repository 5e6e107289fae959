"""The tray app; the only package that imports PySide6.

``tray/`` draws the icon and its menu, ``dashboard/`` and ``settings/`` are the windows, and
``runtime/`` starts the app and runs every ledger, keyring and network call off the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenwallet.start_options import StartOptions


def run_gui(options: StartOptions) -> int:
    """Start the tray app and return its exit status once the user quits.

    ``options.demo`` runs on a throwaway home with sample data.  A first run with no allowance and
    no account also shows the demo data (labelled so) until the user adds their own.
    ``options.background`` starts in the tray without opening the dashboard.
    """
    from tokenwallet.ui.runtime.launcher import launch

    return launch(options)
