"""The documented bounds of every number and date tokenwallet accepts or stores.

Values are checked once, where they enter (a command-line option, a settings key, a dialog field,
a provider response, an agent-log line), so that everything stored can be summed, compared,
formatted and turned into a date by later code without overflowing.  The bounds are generous for
real use and far inside what SQLite's 64-bit integers and Python's ``datetime`` can hold:

==========================  =======================================================
money                       at most 10**12 USD in magnitude (10**18 micro-USD)
token counts                0 to 2**53 per value (exact in a JSON number as well)
dates and times             1970-01-01 to 2200-01-01 UTC
durations                   at most 10 years (3,653 days)
==========================  =======================================================

Sums of many bounded values can still exceed 2**63 in theory; code that adds stored values
(rollups, reports) does so in Python integers or checks with :func:`check_total`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tokenwallet.domain.errors import UserInputError

MAX_USD = 10**12
"""The largest amount of money, in dollars, anywhere in tokenwallet."""
MAX_MICROS = MAX_USD * 1_000_000
"""The same bound in micro-USD (10**18, inside SQLite's signed 64-bit integers)."""
MAX_TOKENS = 2**53
"""The largest token count of one value (an allowance, a usage row, a log line)."""
MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2200, 1, 1, tzinfo=UTC)
"""Times are accepted in [MIN_TIME, MAX_TIME)."""
MIN_EPOCH = int(MIN_TIME.timestamp())
MAX_EPOCH = int(MAX_TIME.timestamp())
MAX_DAYS = 3653
"""The longest duration, in days (ten years): expiries, snoozes, trailing windows, intervals."""
MAX_DURATION = timedelta(days=MAX_DAYS)
MAX_INT64 = 2**63 - 1


def in_money_range(micros: int) -> bool:
    """Whether a micro-USD amount is within ±:data:`MAX_MICROS`."""
    return -MAX_MICROS <= micros <= MAX_MICROS


def in_token_range(tokens: int) -> bool:
    """Whether a token count is within 0..:data:`MAX_TOKENS`."""
    return 0 <= tokens <= MAX_TOKENS


def in_time_range(moment: datetime) -> bool:
    """Whether an aware datetime lies in [:data:`MIN_TIME`, :data:`MAX_TIME`)."""
    return MIN_TIME <= moment < MAX_TIME


def check_money(micros: int, what: str = "amount") -> int:
    """Return ``micros`` or raise :class:`UserInputError` naming the limit."""
    if not in_money_range(micros):
        raise UserInputError(f"The {what} is too large; amounts are limited to ${MAX_USD:,} in either direction.")
    return micros


def check_decimal_usd(value: Decimal, what: str = "amount") -> Decimal:
    """Refuse a dollar amount outside ±:data:`MAX_USD` before it is converted (no huge integers)."""
    if not value.is_finite() or abs(value) > MAX_USD:
        raise UserInputError(f"The {what} is too large; amounts are limited to ${MAX_USD:,} in either direction.")
    return value


def check_tokens(tokens: int, what: str = "token count") -> int:
    """Return ``tokens`` or raise :class:`UserInputError` naming the limit."""
    if not in_token_range(tokens):
        raise UserInputError(f"The {what} must be a whole number from 0 to {MAX_TOKENS:,} (2^53).")
    return tokens


def check_time(moment: datetime, what: str = "date") -> datetime:
    """Return ``moment`` or raise :class:`UserInputError`; dates must lie in 1970–2199."""
    if not in_time_range(moment):
        raise UserInputError(f"The {what} {moment.date().isoformat()} is out of range; use a date from 1970 to 2199.")
    return moment


def check_days(days: float, what: str = "number of days") -> float:
    """Return ``days`` or raise :class:`UserInputError`; durations are 0 to ten years."""
    if not (0 <= days <= MAX_DAYS):  # also refuses NaN
        raise UserInputError(f"The {what} must be from 0 to {MAX_DAYS:,} (ten years), not {days:g}.")
    return days


def check_total(value: int, what: str = "total") -> int:
    """Refuse a sum that no longer fits a signed 64-bit SQLite integer."""
    if not -MAX_INT64 - 1 <= value <= MAX_INT64:
        raise UserInputError(f"The {what} is too large to store.")
    return value
