"""Changing the settings from the tray app: validate, write the settings file, apply start at login."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.errors import UserInputError

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def save_preferences(ctx: AppContext, **changes: Any) -> str:
    """Store ``changes`` to the settings; returns a note for the user ('' when there is nothing to say).

    A bad value is a :class:`UserInputError` (or the settings' own ``ConfigError``) naming it, and
    nothing is written.  When ``start_at_login`` changed, the login entry is written or removed; a
    failure there is the returned note, since the settings themselves were saved.
    """
    rate = changes.get("currency_rate")
    if rate is not None:
        try:
            if Decimal(rate) <= 0 or not Decimal(rate).is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise UserInputError(
                f"The rate must be a positive number like 83.2, not {rate!r}.", field="currency_rate"
            ) from None
    current = ctx.settings
    new = current.replace(**changes)
    ctx.save_settings(new)
    if new.start_at_login != current.start_at_login:
        from tokenwallet.services.start_at_login import apply_start_at_login

        return apply_start_at_login(new.start_at_login)
    return ""
