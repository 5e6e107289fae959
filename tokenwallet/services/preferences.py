"""Changing the settings from the tray app: validate, write the settings file, apply start at login.

Every value the settings pages send is checked here first, so a refusal is a
:class:`~tokenwallet.domain.errors.UserInputError` whose ``field`` is the settings key it is about
(the page marks that field) and whose words are the dialog's, not the settings file's.
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.limits import MAX_USD

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.settings import Settings


def _positive(text: str, field: str, example: str) -> None:
    try:
        number = Decimal(text)
        if not number.is_finite() or number <= 0:
            raise InvalidOperation
    except InvalidOperation:
        raise UserInputError(f"Give a positive number like {example}, not {text!r}.", field=field) from None
    if number > MAX_USD:
        raise UserInputError(f"{text} is too large; the most tokenwallet handles is {MAX_USD:,}.", field=field)


def _time(text: str, field: str) -> None:
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise UserInputError(f"{text!r} is not a time of day; use HH:MM, e.g. 22:00.", field=field)


def check_preferences(current: Settings, changes: dict[str, Any]) -> None:
    """Refuse a value the settings pages may send that cannot be stored, naming its key in ``field``."""
    rate = changes.get("currency_rate")
    if rate is not None:
        _positive(rate, "currency_rate", "83.2")
    zone = changes.get("timezone")
    if zone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UserInputError(
                f"{zone!r} is not a time zone tokenwallet knows; use a name such as Europe/Berlin or Asia/Kolkata, "
                "or leave it empty for the system's zone.",
                field="timezone",
            ) from None
    currency = changes.get("display_currency")
    if currency is not None and (len(currency) != 3 or not currency.isalpha()):
        raise UserInputError(
            f"{currency!r} is not a currency code; use three letters like USD or INR.", field="display_currency"
        )
    pay = changes.get("pay_amount")
    if pay:
        _positive(pay, "pay_amount", "5000")
    period = changes.get("pay_period")
    if period is not None and period not in ("monthly", "yearly"):
        raise UserInputError(f"Pay is monthly or yearly, not {period!r}.", field="pay_period")
    pay_currency = changes.get("pay_currency")
    display = changes.get("display_currency", current.display_currency)
    if pay_currency not in (None, "", "USD", display):
        raise UserInputError(
            f"Give your pay in USD or in the display currency ({display}), whose rate is known.", field="pay_currency"
        )
    start = changes.get("quiet_hours_start", current.quiet_hours_start)
    end = changes.get("quiet_hours_end", current.quiet_hours_end)
    for key, text in (("quiet_hours_start", start), ("quiet_hours_end", end)):
        if text:
            _time(text, key)
    if bool(start) != bool(end):
        raise UserInputError("Quiet hours need both a start and an end (or neither).", field="quiet_hours_start")
    hook = changes.get("alert_hook")
    if hook:
        if not os.path.isabs(hook):
            raise UserInputError(
                f"The alert hook {hook!r} is not a full path; choose the program with its whole path.",
                field="alert_hook",
            )
        if not os.path.isfile(hook) or not os.access(hook, os.X_OK):
            raise UserInputError(
                f"The alert hook {hook} is not a program tokenwallet can run (missing, or not executable).",
                field="alert_hook",
            )


def save_preferences(ctx: AppContext, **changes: Any) -> str:
    """Store ``changes`` to the settings; returns a note for the user ('' when there is nothing to say).

    A bad value is a :class:`UserInputError` naming its key in ``field`` (see
    :func:`check_preferences`), or the settings' own ``ConfigError``, and nothing is written.  When
    ``start_at_login`` changed, the login entry is written or removed (keeping the ``--home``
    folder in use); a failure there is the returned note, since the settings themselves were saved.
    """
    current = ctx.settings
    check_preferences(current, changes)
    new = current.replace(**changes)
    ctx.save_settings(new)
    if new.start_at_login != current.start_at_login:
        from tokenwallet.services.start_at_login import apply_start_at_login

        return apply_start_at_login(new.start_at_login, ctx.paths.home)
    return ""
