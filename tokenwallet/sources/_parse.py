"""Checked readers for provider JSON: a wrong type or an absurd value becomes a schema error, never a crash.

Every connector reads provider bodies through these helpers, so the bounds of
:mod:`tokenwallet.domain.limits` hold for everything a provider can send: money within ±10^12
USD, token counts 0..2^53, times 1970–2199, no non-finite numbers, no text that SQLite cannot
store, and no nesting deeper than :data:`MAX_DEPTH`.  Each error names the provider and the field.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from tokenwallet.domain.errors import ProviderSchemaError
from tokenwallet.domain.limits import MAX_EPOCH, MAX_MICROS, MAX_TOKENS, MAX_USD, MIN_EPOCH, in_time_range
from tokenwallet.domain.money import Micros, cents_to_micros, to_decimal, usd_to_micros

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a body; real provider bodies use about six."""
_MAX_INT_DIGITS = 40
"""Integer literals longer than this are out of every bound; they are read as :data:`_HUGE_INT`."""
_HUGE_INT = 10**_MAX_INT_DIGITS
_SHOWN = 60  # characters of an offending value quoted in an error message
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # as signed bytes: +1, +1, -1, -1


def _error(provider: str, what: str, status: int | None = 200) -> ProviderSchemaError:
    return ProviderSchemaError(f"{provider} sent an unexpected body: {what}", provider=provider, status=status)


def _shown(value: Any) -> str:
    """A short quotation of a value for a message (never the whole of a huge one)."""
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**_SHOWN else "a huge integer"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


# --- whole bodies ----------------------------------------------------------------------------------
def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether a JSON text nests ``[`` and ``{`` more than ``limit`` levels (brackets in strings aside).

    Linear and in C: strings are blanked, every other byte but brackets dropped, brackets become
    +1/-1 and the deepest point is the largest running sum.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # too few brackets to be that deep: ordinary bodies skip the scan
    steps = array("b", _STRINGS.sub(b'""', raw).translate(_STEPS, _NOT_BRACKETS))
    return max(accumulate(steps), default=0) > limit


def _parse_int(text: str) -> int:
    # Python refuses to convert more than 4,300 digits; a number that long is out of every bound
    # anyway, so it becomes a huge value that the field's own check names and refuses.
    return int(text) if len(text) <= _MAX_INT_DIGITS else _HUGE_INT * (-1 if text.startswith("-") else 1)


def load_json(raw: bytes, provider: str, status: int | None = 200) -> Any:
    """Decode a response body; anything that is not bounded JSON is a :class:`ProviderSchemaError`.

    ``NaN``, ``Infinity`` and overflowing numbers such as ``1e400`` are decoded (as floats) and
    refused later by the reader of the field, so that the message can name the field.
    """
    if too_deep(raw):
        raise _error(provider, f"JSON nested more than {MAX_DEPTH} levels deep (HTTP {status})", status)
    try:
        return json.loads(raw, parse_int=_parse_int)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProviderSchemaError(
            f"{provider} sent a body that is not JSON (HTTP {status})", provider=provider, status=status
        ) from None


# --- structure -------------------------------------------------------------------------------------
def obj(value: Any, provider: str, what: str) -> dict[str, Any]:
    """``value`` as a JSON object."""
    if not isinstance(value, dict):
        raise _error(provider, f"{what} is not an object")
    return value


def items(value: Any, provider: str, what: str, *, required: bool = False) -> list[Any]:
    """``value`` as a JSON array; null counts as empty unless the field is ``required``."""
    if value is None:
        if required:
            raise _error(provider, f"{what} is missing")
        return []
    if not isinstance(value, list):
        raise _error(provider, f"{what} is not a list")
    return value


# --- numbers ---------------------------------------------------------------------------------------
def count(row: dict[str, Any], key: str, provider: str, *, required: bool = False) -> int:
    """A token (or request, image, second) count from 0 to 2^53; optional ones default to 0."""
    value = row.get(key)
    if value is None:
        if required:
            raise _error(provider, f"{key} is missing")
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _error(provider, f"{key}={_shown(value)} is not a number")
    if not (0 <= value <= MAX_TOKENS):  # also refuses NaN and the infinities
        raise _error(provider, f"{key}={_shown(value)} is not a count from 0 to 2^53")
    return int(value)


def count_sum(provider: str, what: str, *counts: int) -> int:
    """Counts added into one stored count (e.g. 5-minute plus 1-hour cache writes), still within 2^53."""
    total = sum(counts)
    if total > MAX_TOKENS:
        raise _error(provider, f"{what} adds up to more than 2^53")
    return total


def _amount(value: Any, provider: str, what: str, bound: int) -> Decimal:
    """A finite number (JSON number or decimal string) within ±``bound``, exactly as written."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _error(provider, f"{what}={_shown(value)} is not an amount")
    try:
        number = to_decimal(value)
    except (ValueError, ArithmeticError):  # decimal's InvalidOperation is an ArithmeticError
        raise _error(provider, f"{what}={_shown(value)} is not an amount") from None
    if not number.is_finite():
        raise _error(provider, f"{what}={_shown(value)} is not a finite amount")
    # adjusted() and copy_abs() need no decimal context, so "1e999999999" cannot overflow here
    if number.adjusted() > len(str(bound)) or number.copy_abs() > bound:
        raise _error(provider, f"{what}={_shown(value)} is beyond ±${MAX_USD:,}")
    return number


def _micros(convert: Callable[[Decimal], int], number: Decimal, provider: str, what: str) -> Micros:
    try:
        micros = int(convert(number))
    except ArithmeticError:  # e.g. a tiny exponent that underflows while rounding
        raise _error(provider, f"{what}={number} is not an amount") from None
    if not -MAX_MICROS <= micros <= MAX_MICROS:  # rounding cannot cross it, but keep the bound explicit
        raise _error(provider, f"{what} is beyond ±${MAX_USD:,}")
    return micros


def dollars(value: Any, provider: str, what: str) -> Micros | None:
    """Dollars (or major units; JSON number or decimal string) to micro-units; null stays None."""
    if value is None:
        return None
    return _micros(usd_to_micros, _amount(value, provider, what, MAX_USD), provider, what)


def cents(value: Any, provider: str, what: str) -> Micros:
    """Cents (decimal string or number) to micro-USD, exactly; null is an error."""
    if value is None:
        raise _error(provider, f"{what} is missing")
    return _micros(cents_to_micros, _amount(value, provider, what, MAX_USD * 100), provider, what)


def left(limit: Micros, spent: Micros, provider: str, what: str) -> Micros:
    """What is left of ``limit`` after ``spent`` (both bounded), itself within ±10^12 USD."""
    remaining = limit - spent
    if not -MAX_MICROS <= remaining <= MAX_MICROS:
        raise _error(provider, f"{what} is beyond ±${MAX_USD:,}")
    return remaining


# --- times -----------------------------------------------------------------------------------------
def epoch(value: Any, provider: str, what: str) -> datetime:
    """Unix seconds (an integer) as an aware UTC datetime in 1970–2199."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(provider, f"{what}={_shown(value)} is not Unix seconds")
    if not MIN_EPOCH <= value < MAX_EPOCH:
        raise _error(provider, f"{what}={_shown(value)} is not a time from 1970 to 2199")
    return datetime.fromtimestamp(value, UTC)


def moment(value: Any, provider: str, what: str) -> datetime | None:
    """An ISO 8601 text or Unix seconds as an aware UTC datetime in 1970–2199; null and "" are None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _error(provider, f"{what}={_shown(value)} is not a time")
    if isinstance(value, int | float):
        if not (MIN_EPOCH <= value < MAX_EPOCH):  # also refuses NaN and the infinities
            raise _error(provider, f"{what}={_shown(value)} is not a time from 1970 to 2199")
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise _error(provider, f"{what}={_shown(value)} is not a time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # year 1 minus an offset overflows
        raise _error(provider, f"{what}={_shown(value)} is not a time") from None
    if not in_time_range(when):
        raise _error(provider, f"{what}={_shown(value)} is not a time from 1970 to 2199")
    return when


def day(row: dict[str, Any], key: str, provider: str) -> datetime:
    """A ``YYYY-MM-DD`` field (a UTC day of a daily report) as midnight UTC in 1970–2199; missing is an error."""
    value = text(row, key, provider)
    try:
        when = datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC) if len(value) >= 10 else None
    except ValueError:
        when = None
    if when is None:
        raise _error(provider, f"{key}={_shown(value)} is not a date YYYY-MM-DD")
    if not in_time_range(when) or not in_time_range(when + timedelta(days=1)):
        raise _error(provider, f"{key}={_shown(value)} is not a day from 1970 to 2199")
    return when


def span(start: datetime, end: datetime, provider: str, start_name: str, end_name: str) -> tuple[datetime, datetime]:
    """A bucket ``[start, end)``; one that does not end after it starts is a schema error."""
    if end <= start:
        raise _error(provider, f"{end_name} ({end.isoformat()}) is not after {start_name} ({start.isoformat()})")
    return start, end


# --- text ------------------------------------------------------------------------------------------
def text(row: dict[str, Any], key: str, provider: str) -> str:
    """A string field (numbers are written as text); null and missing become ``""``."""
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape: SQLite could not store it
            raise _error(provider, f"{key} is not valid Unicode text") from None
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    raise _error(provider, f"{key}={_shown(value)} is not text")
