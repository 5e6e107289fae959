"""Money is an integer number of micro-US-dollars (1 USD = 1_000_000 micros); never a float.

Providers send money in several shapes (OpenAI dollars as JSON floats, Anthropic cents as decimal
strings, ...).  Every conversion goes through :class:`decimal.Decimal` built from the *text* of
the number so that no binary rounding error is introduced.

:func:`format_money` is the one way money is written for people (tray, dashboard, alerts, CLI,
reports): converted to the display currency and rounded to that currency's minor units.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

MICROS_PER_USD = 1_000_000
_MICROS = Decimal(MICROS_PER_USD)

Micros = int
"""Integer micro-USD."""


def to_decimal(value: Decimal | int | float | str) -> Decimal:
    """Convert a number or numeric string exactly; floats go through ``repr`` (shortest form)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr gives the shortest string that round-trips: 0.1 -> "0.1", not 0.1000000000000000055...
        return Decimal(repr(value))
    try:
        result = Decimal(value.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def usd_to_micros(value: Decimal | int | float | str) -> Micros:
    """Dollars to micro-USD, rounding half-even at the sixth decimal."""
    return int((to_decimal(value) * _MICROS).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def cents_to_micros(value: Decimal | int | float | str) -> Micros:
    """Cents (e.g. Anthropic's decimal-string ``amount``) to micro-USD."""
    return int((to_decimal(value) * Decimal(10_000)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def micros_to_decimal(micros: Micros) -> Decimal:
    """Micro-USD to an exact Decimal number of dollars."""
    return Decimal(micros) / _MICROS


MINOR_UNITS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
    "CAD": 2,
    "AUD": 2,
    "CHF": 2,
    "CNY": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "BRL": 2,
    "MXN": 2,
    "SGD": 2,
    "HKD": 2,
    "NZD": 2,
    "ZAR": 2,
    "ILS": 2,
    "TWD": 2,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "HUF": 2,
    "KWD": 3,
    "BHD": 3,
}
"""Digits after the decimal point (ISO 4217 minor units) of the currencies people pick for display;
any other three-letter code gets two."""

SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥", "KRW": "₩"}
"""Currencies written with a symbol; the others are written as their code and a space (``CHF 12.00``)."""

GROUPINGS = ("western", "indian")


def minor_units(currency: str) -> int:
    """How many decimal places ``currency`` is written with (ISO 4217; 2 when not in the table)."""
    return MINOR_UNITS.get(currency.upper(), 2)


def group_digits(integer: int, grouping: str = "western") -> str:
    """Group the digits of a non-negative integer: ``western`` 1,234,567 or ``indian`` 12,34,567."""
    text = str(integer)
    if grouping != "indian" or len(text) <= 3:
        return f"{integer:,}"
    head, tail = text[:-3], text[-3:]
    parts: list[str] = []
    while len(head) > 2:
        parts.insert(0, head[-2:])
        head = head[:-2]
    if head:
        parts.insert(0, head)
    return ",".join([*parts, tail])


def format_money(
    micros: Micros | None,
    currency: str = "USD",
    *,
    rate: Decimal = Decimal(1),
    grouping: str = "western",
    places: int | None = None,
    unpriced: str = "unpriced",
) -> str:
    """Micro-USD for people, in ``currency``: ``$1,234.56``, ``-€3.10``, ``¥1,235``, ``CHF 12.00``.

    ``rate`` is units of ``currency`` per US dollar.  The value is rounded half-even to the
    currency's minor units (``places`` overrides them, e.g. for chart axes); ``grouping`` is
    ``western`` or ``indian`` (lakh and crore).  ``None`` (an unpriced amount) becomes ``unpriced``.
    """
    if micros is None:
        return unpriced
    digits = minor_units(currency) if places is None else places
    value = (micros_to_decimal(abs(micros)) * rate).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    whole = int(value)
    fraction = f".{int((value - whole).scaleb(digits)):0{digits}d}" if digits > 0 else ""
    code = currency.upper()
    symbol = SYMBOLS.get(code, code + " ")
    sign = "-" if micros < 0 else ""
    return f"{sign}{symbol}{group_digits(whole, grouping)}{fraction}"


def format_usd(micros: Micros | None, *, places: int = 2, unpriced: str = "unpriced") -> str:
    """Micro-USD as ``$1,234.56`` (:func:`format_money` in US dollars); ``None`` becomes ``unpriced``."""
    return format_money(micros, "USD", places=places, unpriced=unpriced)
