"""Starting the tray app with the login session, as the settings' "start at login" switch asks."""

from __future__ import annotations

from pathlib import Path

from tokenwallet.domain.errors import TokenwalletError


def apply_start_at_login(enabled: bool, home: Path | None = None) -> str:
    """Turn start-at-login on or off; returns what went wrong in plain words, or ''.

    ``home`` is the ``--home`` folder the app runs with (None: the platform folders): the login
    entry starts the app with the same one.
    """
    from tokenwallet.platform.autostart import set_autostart

    try:
        set_autostart(enabled, home=home)
    except (OSError, TokenwalletError) as exc:
        return f"Could not change start at login: {exc}"
    return ""
