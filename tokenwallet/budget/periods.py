"""Allowance periods, computed in the allowance's own time zone.

A period starts at local midnight of its anchor day and ends where the next one starts, so a
month that contains a daylight-saving change is 743 or 745 hours long, not 744.  Every function
returns aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tokenwallet.domain.allowance import Allowance, Cadence

_STEP_MONTHS = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.YEARLY: 12}
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` called ``name``; an unknown name is a ``ValueError`` that says what to give."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}; give an IANA name such as 'Europe/Berlin' or 'UTC'") from exc


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``tz``, as UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _month_start(index: int, anchor_day: int, tz: ZoneInfo) -> datetime:
    """Start of the period beginning in month ``index`` (year * 12 + month - 1)."""
    year, month0 = divmod(index, 12)
    return local_midnight(date(year, month0 + 1, anchor_day), tz)


def _anchor_month(allowance: Allowance, tz: ZoneInfo) -> int:
    """Quarterly and yearly periods are aligned to the month the allowance started in."""
    return allowance.starts_at.astimezone(tz).month - 1


def period_at(allowance: Allowance, at: datetime) -> tuple[datetime, datetime]:
    """The ``[start, end)`` of the period that contains ``at``.

    Before a one-off allowance starts, and before any periodic allowance starts, this is still
    the period that would contain ``at``; callers compare with ``allowance.starts_at``.
    """
    tz = zone(allowance.timezone)
    if allowance.cadence is Cadence.ONE_OFF:
        return allowance.starts_at.astimezone(UTC), (allowance.ends_at or FAR_FUTURE).astimezone(UTC)
    local = at.astimezone(tz)
    if allowance.cadence is Cadence.DAILY:
        start = local_midnight(local.date(), tz)
        return start, local_midnight(local.date() + timedelta(days=1), tz)
    if allowance.cadence is Cadence.WEEKLY:
        back = (local.isoweekday() - allowance.anchor_day) % 7
        first = local.date() - timedelta(days=back)
        return local_midnight(first, tz), local_midnight(first + timedelta(days=7), tz)
    step = _STEP_MONTHS[allowance.cadence]
    base = _anchor_month(allowance, tz)
    index = local.year * 12 + local.month - 1
    index -= (index - base) % step
    start = _month_start(index, allowance.anchor_day, tz)
    if start > at:
        index -= step
        start = _month_start(index, allowance.anchor_day, tz)
    return start, _month_start(index + step, allowance.anchor_day, tz)


def next_period(allowance: Allowance, period: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    """The period after ``period``."""
    return period_at(allowance, period[1])


def previous_period(allowance: Allowance, period: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    """The period before ``period``."""
    return period_at(allowance, period[0] - timedelta(seconds=1))


def periods_between(allowance: Allowance, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Every period that overlaps ``[start, end)``, oldest first, none before the allowance starts."""
    if allowance.cadence is Cadence.ONE_OFF:
        period = period_at(allowance, start)
        if period[0] < end and period[1] > start:
            yield period
        return
    first = max(start, allowance.starts_at)
    period = period_at(allowance, first)
    while period[0] < end:
        if allowance.ends_at is not None and period[0] >= allowance.ends_at:
            return
        yield period
        period = next_period(allowance, period)


def period_key(allowance: Allowance, period_start: datetime) -> str:
    """A short stable name for a period (``2026-11``, ``2026-W46``, ``2026-11-15``, ``2026-Q4``)."""
    local = period_start.astimezone(zone(allowance.timezone))
    if allowance.cadence is Cadence.DAILY:
        return local.date().isoformat()
    if allowance.cadence is Cadence.WEEKLY:
        iso = local.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if allowance.cadence is Cadence.ONE_OFF:
        return f"one-off-{local.date().isoformat()}"
    return f"{local.year}-{local.month:02d}"
