"""The allowance as pay: its standing value per month and year, the year's projection, its share of pay.

Pure arithmetic on integers (micro-USD) and decimals, so each figure can be checked by hand:

* :func:`standing_value`: an allowance of ``amount`` per period is worth ``amount`` × periods a
  year (365 days, 52 weeks, 12 months, 4 quarters, 1 year; a one-off allowance has no standing
  value), and a twelfth of that a month;
* :func:`projected_consumption`: what will have been spent by the year's end if spending goes on
  at ``burn_per_day``, never more than each grant holds (the current period's ``remaining``, then
  each period still to start in the year, its grant over its days within the year);
* :func:`share_of_pay`: a value as a share of pay, both in micro-USD, to four decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from tokenwallet.domain.allowance import Cadence

PERIODS_PER_YEAR: dict[Cadence, int] = {
    Cadence.DAILY: 365,
    Cadence.WEEKLY: 52,
    Cadence.MONTHLY: 12,
    Cadence.QUARTERLY: 4,
    Cadence.YEARLY: 1,
    Cadence.ONE_OFF: 0,
}


def standing_value(amount: int, cadence: Cadence) -> tuple[int, int]:
    """(per month, per year) of ``amount`` granted every period of ``cadence``; the month rounded half-even."""
    per_year = amount * PERIODS_PER_YEAR[cadence]
    per_month = int((Decimal(per_year) / 12).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return per_month, per_year


def projected_consumption(
    consumed: int,
    remaining_now: int,
    burn_per_day: float,
    days_left_now: float,
    upcoming: Sequence[tuple[int, float]],
) -> int:
    """Spend by the year's end at ``burn_per_day``: ``consumed`` so far, plus, capped by what each grant holds,
    the rest of the current period (``remaining_now`` over ``days_left_now`` days within the year) and every
    ``(grant, days within the year)`` still to come.
    """
    rate = max(burn_per_day, 0.0)
    total = consumed + min(max(remaining_now, 0), int(rate * max(days_left_now, 0.0)))
    for grant, days in upcoming:
        total += min(max(grant, 0), int(rate * max(days, 0.0)))
    return total


def share_of_pay(value: int, pay: int) -> Decimal | None:
    """``value`` as a share of ``pay`` (both micro-USD), e.g. ``Decimal("0.0268")`` for 2.68 %; None without pay."""
    if pay <= 0:
        return None
    return (Decimal(value) / Decimal(pay)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


def pay_in_micros(amount: Decimal, rate: Decimal) -> int:
    """Pay of ``amount`` units of a currency worth ``rate`` units per US dollar, in micro-USD."""
    return int((amount / rate * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
