"""The tray app; the only package that imports PySide6."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing would slow `tokenwallet statusline`, which loads this package
if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def run_gui(app: AppContext, *, demo: bool = False, background: bool = False) -> int:
    """Start the tray app and return its exit status.

    ``demo`` runs on a throwaway home with sample data.  A first run with no allowance and no
    account also shows the demo data (labelled so) until the user adds their own.  ``background``
    starts in the tray without opening the dashboard.
    """
    from tokenwallet.ui.launcher import launch

    return launch(app, demo=demo, background=background)
