"""Allowance figures that refuse values stored outside the documented bounds, in plain words.

Older versions accepted values that later code cannot compute with: a start in year 9999, a
rollover that lasts 10^11 days, usage whose token counts overflow a sum.  Instead of a traceback
on every ``status``, such an allowance raises :class:`~tokenwallet.domain.errors.StoredValueError`
naming the value and what to do, so front-ends can leave it out (status, alerts) or refuse to
answer for it (budget check).  The bounds are those of :mod:`tokenwallet.domain.limits`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from tokenwallet.budget.engine import BURN_WINDOW
from tokenwallet.budget.periods import zone
from tokenwallet.domain.allowance import Allowance, AllowanceStatus, Cadence, DailySpend, Grant, Unit
from tokenwallet.domain.errors import StoredValueError
from tokenwallet.domain.limits import MAX_DAYS, MAX_TIME, MAX_TOKENS, in_money_range, in_time_range
from tokenwallet.ledger import allowances
from tokenwallet.ledger.status import allowance_status, daily_spend

if TYPE_CHECKING:
    from sqlite_utils import Database

T = TypeVar("T")

_FIX = "remove the allowance and add it again with values tokenwallet can count"


def _when_ok(moment: datetime | None, *, end: bool = False) -> bool:
    return moment is None or in_time_range(moment) or (end and moment == MAX_TIME)


def _amount_ok(amount: int, unit: Unit) -> bool:
    return in_money_range(amount) if unit is Unit.USD else -MAX_TOKENS <= amount <= MAX_TOKENS


def stored_value_problem(allowance: Allowance, grants: Sequence[Grant]) -> str | None:
    """What in ``allowance`` or its explicit ``grants`` is out of bounds, in plain words; None if nothing."""
    name = repr(allowance.name)
    if not _when_ok(allowance.starts_at):
        return f"The allowance {name} starts on {allowance.starts_at:%Y-%m-%d}, outside 1970-2199; {_FIX}."
    if not _when_ok(allowance.ends_at, end=True):
        assert allowance.ends_at is not None
        return f"The allowance {name} ends on {allowance.ends_at:%Y-%m-%d}, outside 1970-2199; {_FIX}."
    if not _amount_ok(allowance.amount, allowance.unit) or allowance.amount < 0:
        return f"The allowance {name} has an amount of {allowance.amount:,}, beyond the limits; {_FIX}."
    months = allowance.cadence in (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.YEARLY)
    if not 1 <= allowance.anchor_day <= (28 if months else 7 if allowance.cadence is Cadence.WEEKLY else 1):
        return f"The allowance {name} starts its periods on day {allowance.anchor_day}, which cannot be used; {_FIX}."
    try:
        zone(allowance.timezone)
    except ValueError:
        return f"The allowance {name} is in an unknown time zone {allowance.timezone!r}; {_FIX}."
    rollover = allowance.rollover
    if rollover is not None:
        if rollover.cap is not None and not _amount_ok(rollover.cap, allowance.unit):
            return f"The allowance {name} has a rollover cap of {rollover.cap:,}, beyond the limits; {_FIX}."
        if rollover.expires_days is not None and not 0 < rollover.expires_days <= MAX_DAYS:
            return (
                f"The allowance {name} keeps rolled-over value for {rollover.expires_days:,} days, more than "
                f"{MAX_DAYS:,} (ten years); {_FIX}."
            )
    for grant in grants:
        if not _amount_ok(grant.amount, allowance.unit):
            return (
                f"A {grant.kind.value} of the allowance {name} has an amount of {grant.amount:,}, "
                f"beyond the limits; {_FIX}."
            )
        if not _when_ok(grant.granted_at) or not _when_ok(grant.expires_at, end=True):
            return f"A {grant.kind.value} of the allowance {name} has a date outside 1970-2199; {_FIX}."
    return None


def _guarded(allowance: Allowance, compute: Callable[[], T]) -> T:
    """Run ``compute``; an overflow caused by stored values becomes a :class:`StoredValueError`."""
    try:
        return compute()
    except OverflowError as exc:
        raise StoredValueError(
            f"The figures of the allowance {allowance.name!r} overflow ({exc}); a stored value is out of range."
        ) from exc
    except sqlite3.OperationalError as exc:
        if "overflow" not in str(exc):
            raise
        raise StoredValueError(
            f"The usage counted by the allowance {allowance.name!r} adds up beyond what can be counted: a recorded "
            "usage row holds an amount or token count out of range."
        ) from exc


def checked_status(
    db: Database, allowance: Allowance, now: datetime, *, window: timedelta = BURN_WINDOW
) -> AllowanceStatus:
    """The allowance's :func:`~tokenwallet.ledger.status.allowance_status`.

    Raises :class:`StoredValueError` when a stored value is out of bounds.
    """
    problem = stored_value_problem(allowance, allowances.grants_for(db, allowance.id))
    if problem is not None:
        raise StoredValueError(problem)
    return _guarded(allowance, lambda: allowance_status(db, allowance, now, window=window))


def checked_daily_spend(db: Database, allowance: Allowance, start: datetime, end: datetime) -> list[DailySpend]:
    """:func:`~tokenwallet.ledger.status.daily_spend`, or :class:`StoredValueError` when a sum overflows."""
    return _guarded(allowance, lambda: daily_spend(db, allowance, start, end))
