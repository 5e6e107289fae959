"""Allowance status from the ledger: the functions the tray, alerts, reports and CLI call.

* :func:`allowance_status` -- every figure of one allowance for "now";
* :func:`allowance_statuses` -- the same for every allowance, by name;
* :func:`closed_period_status` -- the figures of a span that is over (a closed month): what was
  granted, spent, lapsed unspent and rolled over;
* :func:`daily_spend` -- spend per calendar day in the allowance's time zone, for charts.

An allowance backed by a gateway account (``backing_account_id``) takes its amount, spend,
reset and expiry from that account's newest ``limit`` snapshots; when there are several (key,
user, team), the one with the least value left wins.  Its burn rate, forecast and daily spend come
from the same gateway: the backing account's history rows (:func:`~tokenwallet.ledger.spend.scope_for`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from msgspec.structs import replace

from tokenwallet.budget.counting import explain
from tokenwallet.budget.engine import (
    BURN_WINDOW,
    apply_limit,
    budget_window_start,
    closed_plan,
    closed_status,
    compute_status,
    current_period,
    daily_totals,
    plan,
)
from tokenwallet.budget.periods import zone
from tokenwallet.domain.allowance import Allowance, AllowanceStatus, DailySpend, Unit
from tokenwallet.domain.clock import ensure_utc
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
from tokenwallet.ledger import allowances, snapshots
from tokenwallet.ledger.counting import count_hours, count_segments, count_unpriced, meter_for

if TYPE_CHECKING:
    from sqlite_utils import Database


def tightest_limit(limits: list[BalanceSnapshot]) -> BalanceSnapshot | None:
    """The limit snapshot with the least value left (ties: the smaller limit)."""
    usable = [s for s in limits if s.kind is SnapshotKind.LIMIT and s.limit_micros is not None]
    if not usable:
        return None

    def left(s: BalanceSnapshot) -> tuple[int, int]:
        assert s.limit_micros is not None
        if s.remaining_micros is not None:
            return s.remaining_micros, s.limit_micros
        return s.limit_micros - (s.spent_micros or 0), s.limit_micros

    return min(usable, key=left)


def allowance_status(
    db: Database, allowance: Allowance, now: datetime, *, window: timedelta = BURN_WINDOW, raw: bool = False
) -> AllowanceStatus:
    """Every figure of ``allowance`` at ``now`` (an aware datetime).

    ``raw=True`` reads ``usage`` row by row instead of the hourly rollup (same result, slower;
    for checks and benchmarks).
    """
    now = ensure_utc(now)
    explicit = allowances.grants_for(db, allowance.id)
    meter = meter_for(db, allowance)
    marks = plan(allowance, explicit, now, window)
    period = current_period(allowance, now)
    counted_from = max(period[0], allowance.starts_at)
    counted = count_segments(db, meter, marks, period_from=counted_from, raw=raw)
    unpriced = count_unpriced(db, meter, counted_from, now, raw=raw)
    status = compute_status(allowance, explicit, counted.points, now, window=window, unpriced_records=unpriced)
    status = replace(
        status,
        streams=counted.streams,
        superseded=counted.superseded,
        subscription_value=counted.subscription_value(),
        splits=counted.splits,
        notes=explain(allowance.unit, counted.streams, counted.splits),
    )
    if allowance.backing_account_id and allowance.unit is Unit.USD:
        limit = tightest_limit(snapshots.latest(db, allowance.backing_account_id))
        if limit is not None and limit.limit_micros is not None:
            if limit.spent_micros is not None:
                spent = limit.spent_micros
            elif limit.remaining_micros is not None:
                spent = limit.limit_micros - limit.remaining_micros
            else:
                spent = status.period_spent  # the server gave only the limit: use what the ledger saw
            status = apply_limit(
                status,
                limit=limit.limit_micros,
                spent=spent,
                resets_at=limit.resets_at,
                expires_at=limit.expires_at,
                backed_by=f"{limit.account_id}:{limit.name}",
                window_start=budget_window_start(limit.period, limit.resets_at),
            )
    return status


def closed_period_status(
    db: Database,
    allowance: Allowance,
    start: datetime,
    end: datetime,
    *,
    window: timedelta = BURN_WINDOW,
    raw: bool = False,
) -> AllowanceStatus:
    """The figures of ``[start, end)`` once it is over, as at ``end`` (see :func:`closed_status`).

    Its grants show what spend consumed, what lapsed unspent and what rolled over into the next
    period.  A gateway-backed allowance is figured from its own amount and the ledger here: the
    server's limit readings describe only its current window.
    """
    start, end = ensure_utc(start), ensure_utc(end)
    explicit = allowances.grants_for(db, allowance.id)
    meter = meter_for(db, allowance)
    counted_from = max(start, allowance.starts_at)
    marks = closed_plan(allowance, explicit, (start, end), window)
    # The last segment, [end, end], belongs to the next period: its stream figures are left out.
    counted = count_segments(db, meter, marks, period_from=counted_from, period_until=end, raw=raw)
    # count_unpriced reads to the end of its last second: stop one second before ``end``.
    unpriced = count_unpriced(db, meter, counted_from, end - timedelta(seconds=1), raw=raw)
    status = closed_status(allowance, explicit, counted.points, (start, end), window=window, unpriced_records=unpriced)
    return replace(
        status,
        streams=counted.streams,
        superseded=counted.superseded,
        subscription_value=counted.subscription_value(),
        splits=counted.splits,
        notes=explain(allowance.unit, counted.streams, counted.splits),
    )


def allowance_statuses(db: Database, now: datetime, *, window: timedelta = BURN_WINDOW) -> list[AllowanceStatus]:
    """The status of every allowance, ordered by name."""
    return [allowance_status(db, a, now, window=window) for a in allowances.list_allowances(db)]


def daily_spend(db: Database, allowance: Allowance, start: datetime, end: datetime) -> list[DailySpend]:
    """Spend per day (in the allowance's zone) of rows in ``[start, end)``; days without spend are left out.

    Counted by the counting rule; daily UTC buckets are spread over their hours, so each local day
    gets its share.
    """
    points = count_hours(db, meter_for(db, allowance), ensure_utc(start), ensure_utc(end))
    return daily_totals(points, zone(allowance.timezone))
