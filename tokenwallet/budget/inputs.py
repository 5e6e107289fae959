"""Parsing what a person types for an allowance: amounts in its unit, dates in its zone.

Pure functions; every failure is a :class:`~tokenwallet.domain.errors.UserInputError` that says
what was wrong and what to type instead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

from tokenwallet.budget.periods import zone
from tokenwallet.domain.allowance import Cadence, Unit
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import format_money, usd_to_micros


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
    """Dollars (``12.50``) to micro-USD for usd, a whole number for tokens; zero and below refused."""
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
    if unit is Unit.TOKENS:
        if value != value.to_integral_value():
            raise UserInputError(f"The {what} {text!r} must be a whole number of tokens.")
        return int(value)
    micros = usd_to_micros(value)
    if micros == 0:
        raise UserInputError(f"The {what} {text!r} is less than a millionth of a dollar.")
    return micros


def parse_when(text: str, tz_name: str, *, what: str = "date", end_of_day: bool = False) -> datetime:
    """An ISO date or datetime; naive values are read in ``tz_name``.  Returns aware UTC.

    A bare date means local midnight at its start, or with ``end_of_day`` the midnight after it
    (so ``--expires 2026-11-15`` keeps the value through the 15th).
    """
    tz = zone(tz_name)
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time(), tzinfo=tz)
            if end_of_day:
                moment = datetime.combine(date.fromordinal(day.toordinal() + 1), time(), tzinfo=tz)
            return moment.astimezone(UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UserInputError(
            f"The {what} {text!r} is not a date; use an ISO date such as 2026-11-15 or 2026-11-15T09:30."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def format_amount(amount: int, unit: Unit) -> str:
    """``$1,234.56`` for usd (:func:`~tokenwallet.domain.money.format_money`), ``1,234,567 tokens`` for tokens."""
    return format_money(amount) if unit is Unit.USD else f"{amount:,} tokens"


def parse_zone(name: str) -> str:
    """Check an IANA time zone name and return it."""
    try:
        zone(name)
    except ValueError as exc:
        raise UserInputError(str(exc).capitalize() + ".") from None
    return name
