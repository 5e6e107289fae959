"""Parsing what a person types for an allowance: amounts in its unit, dates in its zone, durations.

Pure functions, used by every front-end (the CLI and the dialogs) through the services.  Each one
enforces the bounds of :mod:`tokenwallet.domain.limits`, so nothing parsed here overflows later
code.  Every failure is a :class:`~tokenwallet.domain.errors.UserInputError` that says what was
wrong and what to type instead, in domain words.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from tokenwallet.budget.periods import zone
from tokenwallet.domain.allowance import Cadence, Unit
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.limits import MAX_DAYS, MAX_TIME, MAX_TOKENS, MAX_USD, check_time
from tokenwallet.domain.money import format_money, usd_to_micros

MAX_HOURS = MAX_DAYS * 24
"""The longest duration in hours (the same ten years as :data:`~tokenwallet.domain.limits.MAX_DAYS`)."""


def parse_unit(text: str) -> Unit:
    """``usd`` or ``tokens``."""
    try:
        return Unit(text.strip().lower())
    except ValueError:
        raise UserInputError(f"Unknown unit {text!r}; use 'usd' or 'tokens'.") from None


def parse_cadence(text: str) -> Cadence:
    """One of daily, weekly, monthly, quarterly, yearly, one-off."""
    try:
        return Cadence(text.strip().lower().replace("_", "-"))
    except ValueError:
        names = ", ".join(c.value for c in Cadence)
        raise UserInputError(f"Unknown cadence {text!r}; use one of: {names}.") from None


def parse_amount(text: str, unit: Unit, *, what: str = "amount", allow_negative: bool = False) -> int:
    """Dollars (``12.50``) to micro-USD for usd, a whole number for tokens; zero and below refused.

    Dollars are limited to ±10^12 and tokens to 2^53 (see :mod:`tokenwallet.domain.limits`); the
    bound is checked on the decimal value, before any large integer is built.
    """
    raw = text.strip().replace(",", "").replace("_", "")
    if unit is Unit.USD:
        raw = raw.removeprefix("$")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        example = "12.50 (dollars)" if unit is Unit.USD else "250000 (tokens)"
        raise UserInputError(f"The {what} {text!r} is not a number; give e.g. {example}.")
    if value == 0 or (value < 0 and not allow_negative):
        sign = "non-zero" if allow_negative else "positive"
        raise UserInputError(f"The {what} must be {sign}, not {text!r}.")
    size = value.copy_abs()  # exact; abs() would round to the context and overflow on 1e999999999
    if unit is Unit.TOKENS:
        if size > MAX_TOKENS:
            raise UserInputError(
                f"The {what} {text!r} is too large; token counts are limited to {MAX_TOKENS:,} (2^53)."
            )
        if value != value.to_integral_value():
            raise UserInputError(f"The {what} {text!r} must be a whole number of tokens.")
        return int(value)
    if size > MAX_USD:
        raise UserInputError(
            f"The {what} {text!r} is too large; amounts are limited to ${MAX_USD:,} in either direction."
        )
    micros = usd_to_micros(value)
    if micros == 0:
        raise UserInputError(f"The {what} {text!r} is less than a millionth of a dollar.")
    return micros


def _out_of_range(what: str, text: str) -> UserInputError:
    return UserInputError(f"The {what} {text!r} is out of range; use a date from 1970 to 2199.")


def parse_when(text: str, tz_name: str, *, what: str = "date", end_of_day: bool = False) -> datetime:
    """An ISO date or datetime; naive values are read in ``tz_name``.  Returns aware UTC.

    A bare date means local midnight at its start, or with ``end_of_day`` the midnight after it
    (so an expiry of ``2026-11-15`` keeps the value through the 15th).  Dates must lie in
    1970-2199 (:data:`~tokenwallet.domain.limits.MIN_TIME` to ``MAX_TIME``).
    """
    tz = zone(tz_name)
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time(), tzinfo=tz)
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UserInputError(
            f"The {what} {text!r} is not a date; use an ISO date such as 2026-11-15 or 2026-11-15T09:30."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    try:
        if len(raw) == 10 and end_of_day:
            moment = datetime.combine(moment.date() + timedelta(days=1), time(), tzinfo=tz)
        result = moment.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 east of UTC, year 9999 west of it
        raise _out_of_range(what, text) from None
    if end_of_day and result == MAX_TIME:
        return result  # "through 2199-12-31" ends at the bound itself
    try:
        return check_time(result, what)
    except UserInputError:
        raise _out_of_range(what, text) from None


def _number(value: float) -> str:
    """``99,999,999,999`` for whole numbers of a sensible size, else the shortest form (``1e+308``)."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{int(value):,}" if value.is_integer() and abs(value) < 1e15 else f"{value:g}"


def parse_days(value: float, *, what: str, allow_zero: bool = True) -> float:
    """A number of days from the user: finite, at most ten years, and above zero unless ``allow_zero``."""
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        least = "0" if allow_zero else "above 0"
        raise UserInputError(
            f"The {what} must be a number of days from {least} to {MAX_DAYS:,} (ten years), not {_number(value)}."
        )
    if value > MAX_DAYS:
        raise UserInputError(
            f"The {what} ({_number(value)} days) is too long; the limit is {MAX_DAYS:,} days (ten years)."
        )
    return value


def parse_hours(value: float, *, what: str) -> float:
    """A number of hours from the user: finite, above zero, at most ten years."""
    if not math.isfinite(value) or value <= 0:
        raise UserInputError(f"The {what} must be a number of hours above 0, not {_number(value)}.")
    if value > MAX_HOURS:
        raise UserInputError(
            f"The {what} ({_number(value)} hours) is too long; the limit is {MAX_HOURS:,} hours (ten years)."
        )
    return value


def parse_duration(text: str) -> timedelta:
    """``12h`` or ``3d``: a positive whole number of hours or days, at most ten years."""
    raw = text.strip().lower()
    count, suffix = raw[:-1], raw[-1:]
    if not (count.isascii() and count.isdigit()) or suffix not in ("h", "d") or int(count) <= 0:
        raise UserInputError(f"The duration {text!r} is not understood; use e.g. 1h, 12h or 3d.")
    if len(count) > 9 or (int(count) > MAX_HOURS if suffix == "h" else int(count) > MAX_DAYS):
        raise UserInputError(
            f"The duration {text!r} is too long; the limit is {MAX_DAYS:,} days or {MAX_HOURS:,} hours (ten years)."
        )
    return timedelta(hours=int(count)) if suffix == "h" else timedelta(days=int(count))


def format_amount(amount: int, unit: Unit) -> str:
    """``$1,234.56`` for usd (:func:`~tokenwallet.domain.money.format_money`), ``1,234,567 tokens`` for tokens."""
    return format_money(amount) if unit is Unit.USD else f"{amount:,} tokens"


def parse_zone(name: str) -> str:
    """Check an IANA time zone name and return it."""
    try:
        zone(name)
    except ValueError as exc:
        message = str(exc)
        raise UserInputError(message[:1].upper() + message[1:] + ".") from None
    return name
