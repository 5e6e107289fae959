"""Starting the tray app with the login session, as the settings' "start at login" switch asks."""

from __future__ import annotations

from tokenwallet.domain.errors import TokenwalletError


def apply_start_at_login(enabled: bool) -> str:
    """Turn start-at-login on or off; returns what went wrong in plain words, or ''."""
    from tokenwallet.platform.autostart import set_autostart

    try:
        set_autostart(enabled)
    except (OSError, TokenwalletError) as exc:
        return f"Could not change start at login: {exc}"
    return ""
