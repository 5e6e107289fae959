"""The user's time zone name for reading dates typed without an offset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenwallet.domain.errors import TokenwalletError

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def local_zone_name(ctx: AppContext) -> str:
    """The settings' time zone, else the system's; ``UTC`` when the settings cannot be read.

    An unreadable settings file must not stop anyone from recording spend or defining an
    allowance; the settings' own commands report what is wrong with it.
    """
    try:
        return ctx.settings.timezone or ctx.settings.zone().key
    except (TokenwalletError, OSError, ValueError):
        return "UTC"
