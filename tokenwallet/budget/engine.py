"""Every figure of an allowance for "now", from its definition, its stored grants and its spend.

Pure functions: the ledger glue (``tokenwallet.ledger.status``) reads the rows and calls
:func:`plan` for the moments it must split spend at, then :func:`compute_status`; for a period
that is over (a closed month in a report) :func:`closed_plan` and :func:`closed_status`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from msgspec.structs import replace

from tokenwallet.budget.forecast import DAY_SECONDS, burn_rate, project
from tokenwallet.budget.grants import boundaries, replay, window_start
from tokenwallet.budget.periods import FAR_FUTURE, period_at
from tokenwallet.domain.allowance import (
    Allowance,
    AllowanceStatus,
    DailySpend,
    ExpiryForecast,
    Grant,
    GrantBalance,
    SpendPoint,
)

BURN_WINDOW = timedelta(days=7)
"""The trailing window the burn rate is measured over."""


def current_period(allowance: Allowance, now: datetime) -> tuple[datetime, datetime]:
    """The period the status is about; a one-off allowance has one period from start to end."""
    return period_at(allowance, now)


def burn_start(allowance: Allowance, now: datetime, window: timedelta = BURN_WINDOW) -> datetime:
    """Start of the burn-rate window, never before the allowance starts."""
    return max(now - window, allowance.starts_at)


def plan(
    allowance: Allowance, explicit: Sequence[Grant], now: datetime, window: timedelta = BURN_WINDOW
) -> list[datetime]:
    """The sorted moments to sum spend between: ``[b0, b1), [b1, b2), ..., [bk, now)``, then ``[now, now]``.

    Summing spend per segment is exact for the engine, because the active grants do not change
    inside a segment; the first moment is where spend must start to be read.  ``now`` comes
    twice: spend stamped exactly ``now`` is a segment of its own, because ``now`` may itself be
    a moment where the grants change (a period start) and that spend belongs after it.
    """
    start = window_start(allowance, explicit, now)
    burn = burn_start(allowance, now, window)
    period = current_period(allowance, now)
    points = set(boundaries(allowance, explicit, start, now))
    points.update(p for p in (burn, max(period[0], allowance.starts_at)) if p <= now)
    return [*sorted(points), now]


def closed_plan(
    allowance: Allowance, explicit: Sequence[Grant], span: tuple[datetime, datetime], window: timedelta = BURN_WINDOW
) -> list[datetime]:
    """:func:`plan` for :func:`closed_status` of ``span``: the moments up to its end, which comes twice.

    The last segment, ``[end, end]``, holds spend stamped exactly at the end; it belongs to the
    next period and :func:`closed_status` leaves it out.
    """
    start, end = span
    before = [g for g in explicit if g.granted_at < end]
    first = window_start(allowance, before, start)
    points = set(boundaries(allowance, before, first, end))
    points.update(p for p in (burn_start(allowance, end, window), max(start, allowance.starts_at)) if p <= end)
    return [*sorted(points), end]


def compute_status(
    allowance: Allowance,
    explicit: Sequence[Grant],
    spend: Iterable[SpendPoint],
    now: datetime,
    *,
    window: timedelta = BURN_WINDOW,
    unpriced_records: int = 0,
) -> AllowanceStatus:
    """The :class:`AllowanceStatus` of ``allowance`` at ``now``.

    ``spend`` holds points in the allowance's unit; points may be per usage row, per hour or per
    segment of :func:`plan`.  The grants reported are those that are active during the current
    period up to ``now``; ``granted == spent + remaining + expired`` holds over them.
    """
    points = list(spend)
    period = current_period(allowance, now)
    replayed = replay(allowance, explicit, points, window_start(allowance, explicit, now), now)
    relevant = tuple(
        b
        for b in replayed.balances
        if b.grant.granted_at <= now and (b.grant.expires_at is None or b.grant.expires_at > period[0])
    )
    granted, spent, remaining, expired, rolled_over = _totals(relevant)
    counted_from = max(period[0], allowance.starts_at)
    period_points = [p for p in points if counted_from <= p.at <= now]
    period_spent = sum(p.amount for p in period_points)
    estimated = sum(p.amount for p in period_points if p.estimated)
    burn_from = burn_start(allowance, now, window)
    rate = (
        burn_rate(sum(p.amount for p in points if burn_from <= p.at < now), burn_from, now) if now > burn_from else 0.0
    )
    end = period[1]
    days_left = max((end - now).total_seconds() / DAY_SECONDS, 0.0)
    length = (end - period[0]).total_seconds()
    elapsed = min(max((now - period[0]).total_seconds() / length, 0.0), 1.0) if length > 0 else 1.0
    projection = project(relevant, now, rate, end, allowance.rollover)
    runout = projection.runout
    if runout is None and granted > 0 and remaining == 0 and now >= allowance.starts_at:
        runout = now  # already used up
    overspent = sum(v for k, v in replayed.overspent_by_period.items() if k >= period[0])
    return AllowanceStatus(
        allowance_id=allowance.id,
        name=allowance.name,
        unit=allowance.unit,
        now=now,
        period_start=period[0],
        period_end=end,
        granted=granted,
        spent=spent,
        remaining=remaining,
        expired=expired,
        period_spent=period_spent,
        percent_used=round(100.0 * spent / granted, 2) if granted > 0 else (100.0 if spent else 0.0),
        days_left=round(days_left, 4),
        elapsed_fraction=round(elapsed, 6),
        burn_rate_per_day=round(rate, 3),
        projected_period_spend=period_spent + (int(rate * days_left) if end < FAR_FUTURE else 0),
        projected_runout=runout,
        expiring=projection.expiring,
        grants=relevant,
        estimated_spent=estimated,
        unpriced_records=unpriced_records,
        overspent=overspent,
        rolled_over=rolled_over,
    )


def _totals(balances: Sequence[GrantBalance]) -> tuple[int, int, int, int, int]:
    """Granted, spent, remaining, expired and rolled over, summed over ``balances``."""
    return (
        sum(b.grant.amount for b in balances),
        sum(b.consumed for b in balances),
        sum(b.remaining for b in balances),
        sum(b.expired for b in balances),
        sum(b.rolled_over for b in balances),
    )


def closed_status(
    allowance: Allowance,
    explicit: Sequence[Grant],
    spend: Iterable[SpendPoint],
    span: tuple[datetime, datetime],
    *,
    window: timedelta = BURN_WINDOW,
    unpriced_records: int = 0,
) -> AllowanceStatus:
    """The figures of ``span`` (``[start, end)``: one of the allowance's periods, or a report's month) once it is over.

    Everything is as at ``end`` (the status's ``now``): the grants active at any moment of the
    span, each with what spend consumed, what it still holds (only grants that outlive the span),
    what lapsed unspent (``expired``) and what the rollover policy carried into the period that
    starts at ``end`` or earlier (``rolled_over``), so ``granted == spent + remaining + expired +
    rolled_over``.  Spend and grants from ``end`` on belong to what comes after and are left
    out.  ``spend`` is read as for :func:`compute_status`, e.g. summed per segment of
    :func:`closed_plan`.
    """
    start, end = span
    before = [g for g in explicit if g.granted_at < end]
    points = [p for p in spend if p.at < end]
    # Replaying up to ``end`` includes the period that starts there, so the carry into it is made.
    replayed = replay(allowance, before, points, window_start(allowance, before, start), end)
    relevant = tuple(
        b
        for b in replayed.balances
        if b.grant.granted_at < end and (b.grant.expires_at is None or b.grant.expires_at > start)
    )
    granted, spent, remaining, expired, rolled_over = _totals(relevant)
    counted_from = max(start, allowance.starts_at)
    period_points = [p for p in points if counted_from <= p.at]
    period_spent = sum(p.amount for p in period_points)
    burn_from = burn_start(allowance, end, window)
    rate = burn_rate(sum(p.amount for p in points if burn_from <= p.at), burn_from, end) if end > burn_from else 0.0
    # Overspend is kept per allowance period; count the periods that overlap the span.
    overspent = sum(
        v for k, v in replayed.overspent_by_period.items() if k < end and period_at(allowance, k)[1] > start
    )
    return AllowanceStatus(
        allowance_id=allowance.id,
        name=allowance.name,
        unit=allowance.unit,
        now=end,
        period_start=start,
        period_end=end,
        granted=granted,
        spent=spent,
        remaining=remaining,
        expired=expired,
        period_spent=period_spent,
        percent_used=round(100.0 * spent / granted, 2) if granted > 0 else (100.0 if spent else 0.0),
        days_left=0.0,
        elapsed_fraction=1.0,
        burn_rate_per_day=round(rate, 3),
        projected_period_spend=period_spent,
        projected_runout=None,
        grants=relevant,
        estimated_spent=sum(p.amount for p in period_points if p.estimated),
        unpriced_records=unpriced_records,
        overspent=overspent,
        rolled_over=rolled_over,
    )


_BUDGET_DAYS = {"daily": 1, "weekly": 7}
_BUDGET_MONTHS = {"monthly": 1, "mo": 1}


def budget_window_start(period: str, resets_at: datetime | None) -> datetime | None:
    """When a gateway budget's current window began: its reset less its period, or None if unknown.

    ``period`` is LiteLLM's ``budget_duration`` (``30d``, ``7d``, ``24h``, ``30m``, ``1mo``) or
    OpenRouter's ``limit_reset`` (``daily``, ``weekly``, ``monthly``); a month is a calendar month.
    """
    if resets_at is None or not period:
        return None
    text = period.strip().lower()
    if text in _BUDGET_DAYS:
        return resets_at - timedelta(days=_BUDGET_DAYS[text])
    months = _BUDGET_MONTHS.get(text)
    if months is None and text.endswith("mo") and text[:-2].isdigit():
        months = int(text[:-2])
    if months is not None:
        from calendar import monthrange

        year, month = divmod(resets_at.year * 12 + resets_at.month - 1 - months, 12)
        day = min(resets_at.day, monthrange(year, month + 1)[1])  # the 31st in a shorter month: its last day
        return resets_at.replace(year=year, month=month + 1, day=day)
    units = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
    if text[-1:] in units and text[:-1].isdigit() and int(text[:-1]) > 0:
        return resets_at - timedelta(seconds=int(text[:-1]) * units[text[-1]])
    return None


def apply_limit(
    status: AllowanceStatus,
    *,
    limit: int,
    spent: int,
    resets_at: datetime | None,
    expires_at: datetime | None,
    backed_by: str,
    window_start: datetime | None = None,
) -> AllowanceStatus:
    """Replace the figures with a server-side limit (LiteLLM/OpenRouter key): the server's count wins.

    Burn rate and estimated share still come from the ledger; the forecasts are recomputed
    against the server's remaining value and its reset or expiry.  With ``window_start`` (when
    the server's budget window began, see :func:`budget_window_start`) the period is the
    server's window, so the share of it gone compares with the share of its budget used.
    """
    remaining = max(limit - spent, 0)
    end = min(d for d in (resets_at, expires_at, status.period_end) if d is not None)
    now = status.now
    start = window_start if window_start is not None and window_start < end else status.period_start
    length = (end - start).total_seconds()
    elapsed = min(max((now - start).total_seconds() / length, 0.0), 1.0) if length > 0 else 1.0
    days_left = max((end - now).total_seconds() / DAY_SECONDS, 0.0)
    runout: datetime | None = None
    if remaining == 0:
        runout = now
    elif status.burn_rate_per_day > 0:
        candidate = now + timedelta(days=remaining / status.burn_rate_per_day)
        runout = candidate if candidate < end else None
    expiring: tuple[ExpiryForecast, ...] = ()
    if expires_at is not None and expires_at > now:
        rate = status.burn_rate_per_day
        days = (expires_at - now).total_seconds() / DAY_SECONDS
        expiring = (ExpiryForecast(expires_at, remaining, max(remaining - int(rate * days), 0), remaining / days),)
    return replace(
        status,
        period_start=start,
        period_end=end,
        elapsed_fraction=round(elapsed, 6),
        granted=limit,
        spent=min(spent, limit),
        remaining=remaining,
        expired=0,
        overspent=max(spent - limit, 0),
        percent_used=round(100.0 * spent / limit, 2) if limit > 0 else 100.0,
        days_left=round(days_left, 4),
        projected_period_spend=spent + int(status.burn_rate_per_day * days_left),
        projected_runout=runout,
        expiring=expiring,
        grants=(),
        backed_by=backed_by,
    )


def daily_totals(points: Iterable[SpendPoint], tz: ZoneInfo) -> list[DailySpend]:
    """Sum spend points into calendar days of ``tz`` (the points should be hourly or finer)."""
    days: dict[date, list[int]] = {}
    for point in points:
        day = point.at.astimezone(tz).date()
        totals = days.setdefault(day, [0, 0])
        totals[0] += point.amount
        if point.estimated:
            totals[1] += point.amount
    return [DailySpend(day, amount, estimated) for day, (amount, estimated) in sorted(days.items())]
