"""Money is an integer number of micro-US-dollars (1 USD = 1_000_000 micros); never a float.

Providers send money in several shapes (OpenAI dollars as JSON floats, Anthropic cents as decimal
strings, ...).  Every conversion goes through :class:`decimal.Decimal` built from the *text* of
the number so that no binary rounding error is introduced.
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


def format_usd(micros: Micros | None, *, places: int = 2, unpriced: str = "unpriced") -> str:
    """Format micro-USD as ``$1,234.56``; ``None`` (an unpriced amount) becomes ``unpriced``."""
    if micros is None:
        return unpriced
    sign = "-" if micros < 0 else ""
    quant = Decimal(1).scaleb(-places)
    value = micros_to_decimal(abs(micros)).quantize(quant, rounding=ROUND_HALF_EVEN)
    return f"{sign}${value:,.{places}f}"
