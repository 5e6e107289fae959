"""A vesting schedule as dated instalments: which part of the total vests on which day.

Instalment *k* (1-based) vests *k* periods after the start, counted from the start each time so
month ends do not drift (31 January + 1 month = 28 February, + 2 months = 31 March).  With a
cliff of *c* periods nothing vests before start + *c* periods; the instalments due by then vest
together on that day.  The total is split into equal parts in the allowance's unit; what does not
divide evenly (a few micro-dollars or tokens) vests with the last instalment, so the parts always
add up to the total.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from tokenwallet.policy.model import Every, Vesting


@dataclass(frozen=True, slots=True)
class Instalment:
    """Instalment ``number`` of ``count``: ``amount`` (allowance unit) vests on ``day``."""

    number: int
    count: int
    day: date
    amount: int

    @property
    def key(self) -> str:
        """What identifies this instalment across revisions."""
        return f"vesting:{self.number}"


def add_periods(start: date, every: Every, count: int) -> date:
    """``start`` plus ``count`` periods of ``every``; a month end is clamped (31 Jan + 1 month = 28 Feb)."""
    if every is Every.DAY:
        return start + timedelta(days=count)
    if every is Every.WEEK:
        return start + timedelta(weeks=count)
    months = count * {Every.MONTH: 1, Every.QUARTER: 3, Every.YEAR: 12}[every]
    index = start.year * 12 + start.month - 1 + months
    year, month0 = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


def schedule(vesting: Vesting) -> list[Instalment]:
    """Every instalment of ``vesting`` in order, with its day and amount."""
    n = vesting.instalments
    base, rest = divmod(vesting.total, n)
    cliff_day = add_periods(vesting.start, vesting.every, vesting.cliff)
    return [
        Instalment(
            number=k,
            count=n,
            day=max(add_periods(vesting.start, vesting.every, k), cliff_day),
            amount=base + (rest if k == n else 0),
        )
        for k in range(1, n + 1)
    ]


def last_day(vesting: Vesting) -> date:
    """The day the last instalment vests."""
    return add_periods(vesting.start, vesting.every, max(vesting.instalments, vesting.cliff))


def vested_by(vesting: Vesting, day: date) -> int:
    """How much of the total has vested by the end of ``day``."""
    return sum(i.amount for i in schedule(vesting) if i.day <= day)
