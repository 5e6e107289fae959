"""Grants and their consumption: the heart of the allowance engine.

Value enters an allowance as grants: the periodic grant of every period (``Allowance.amount``),
rollover grants (the previous period's unspent periodic value, up to the policy's cap, with their
own expiry), and explicit top-ups and adjustments.  Spend consumes the active grant that expires
first, so value that is about to lapse is used before value that keeps.  Whatever an active grant
still holds when it expires is *expired* (lost); spend that finds no active value is *overspent*.

A periodic grant that lapses with value left has the part the rollover policy carries into the next
period reported as *rolled over*, not expired, so ``granted == spent + remaining + expired +
rolled over`` holds for the grants of any period, closed ones included.

Within a stretch of time where the set of active grants does not change, consuming spend in any
order or in any split gives the same balances.  That is why callers may pass spend summed over the
segments between :func:`boundaries` instead of one point per usage row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import msgspec
from msgspec.structs import replace

from tokenwallet.budget.periods import FAR_FUTURE, period_at, periods_between, previous_period
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantBalance, GrantKind, SpendPoint

ROLLOVER_LOOKBACK_PERIODS = 3
"""How many closed periods are replayed to derive rollover grants.

A rollover grant depends on the spend of the period before, which depends on that period's own
rollover, and so on.  Replaying three periods keeps the status cost bounded by the period length
instead of the whole history; an older period can change today's figures only through a chain of
three consecutive capped carries, and then by less than the cap.
"""

# Among grants that expire at the same moment, consume carried value first: it is the oldest.
_TICK = timedelta(microseconds=1)
_KIND_ORDER = {GrantKind.ROLLOVER: 0, GrantKind.TOPUP: 1, GrantKind.ADJUSTMENT: 2, GrantKind.PERIODIC: 3}


def _expiry(grant: Grant) -> datetime:
    return grant.expires_at or FAR_FUTURE


def _order(grant: Grant) -> tuple[datetime, int, datetime, str]:
    return (_expiry(grant), _KIND_ORDER[grant.kind], grant.granted_at, grant.id)


def periodic_grant(allowance: Allowance, period: tuple[datetime, datetime]) -> Grant:
    """The regular grant of ``period``: the allowance's amount, valid until the period ends."""
    granted_at = max(period[0], allowance.starts_at)
    end = period[1] if allowance.ends_at is None else min(period[1], allowance.ends_at)
    return Grant(
        id=f"periodic:{int(period[0].timestamp())}",
        allowance_id=allowance.id,
        kind=GrantKind.PERIODIC,
        amount=allowance.amount,
        granted_at=granted_at,
        expires_at=end,
    )


def rollover_expiry(allowance: Allowance, period: tuple[datetime, datetime]) -> datetime:
    """When value carried into ``period`` lapses: its own expiry in days, else the period's end."""
    days = allowance.rollover.expires_days if allowance.rollover else None
    return period[0] + timedelta(days=days) if days else period[1]


def window_start(allowance: Allowance, explicit: Iterable[Grant], now: datetime) -> datetime:
    """Where replaying spend must start to get "now" right (see :data:`ROLLOVER_LOOKBACK_PERIODS`).

    The current period, plus closed periods when rollover is on, plus the start of any explicit
    grant that is still active then (spend before it was granted cannot touch it).
    """
    period = period_at(allowance, now)
    if allowance.rollover is not None and allowance.cadence is not Cadence.ONE_OFF:
        for _ in range(ROLLOVER_LOOKBACK_PERIODS):
            if period[0] <= allowance.starts_at:
                break
            period = previous_period(allowance, period)
    start = max(period[0], allowance.starts_at)
    for grant in explicit:
        if grant.granted_at < start < _expiry(grant):
            start = max(grant.granted_at, allowance.starts_at)
    return start


def boundaries(allowance: Allowance, explicit: Sequence[Grant], start: datetime, now: datetime) -> list[datetime]:
    """Every moment in ``[start, now]`` at which the set of active grants can change, sorted."""
    points = {start, now}
    for period in periods_between(allowance, start, now):
        points.add(max(period[0], start))
        if allowance.rollover is not None:
            points.add(rollover_expiry(allowance, period))
    for grant in explicit:
        points.add(grant.granted_at)
        if grant.expires_at is not None:
            points.add(grant.expires_at)
    return sorted(p for p in points if start <= p <= now)


class _Live(msgspec.Struct):
    grant: Grant
    consumed: int = 0
    withdrawn: int = 0  # taken by a negative adjustment; reported as expired value
    carried: int = 0  # lapsed value carried into the next period's rollover grant

    @property
    def left(self) -> int:
        return self.grant.amount - self.consumed - self.withdrawn


class Replay(msgspec.Struct):
    """The outcome of replaying spend against grants up to ``now``."""

    balances: list[GrantBalance] = msgspec.field(default_factory=list)
    overspent_by_period: dict[datetime, int] = msgspec.field(default_factory=dict)


def _take(active: list[_Live], amount: int, *, withdraw: bool = False) -> int:
    """Consume ``amount`` from ``active`` (already in expiry order); return what found no value."""
    for live in active:
        if amount <= 0:
            break
        step = min(live.left, amount)
        if step <= 0:
            continue
        if withdraw:
            live.withdrawn += step
        else:
            live.consumed += step
        amount -= step
    return amount


def replay(
    allowance: Allowance,
    explicit: Sequence[Grant],
    spend: Iterable[SpendPoint],
    start: datetime,
    now: datetime,
) -> Replay:
    """Derive periodic and rollover grants from ``start`` to ``now`` and consume ``spend`` in time order.

    Spend before ``start`` or after ``now`` is ignored; explicit grants granted after ``now``
    are not yet active.  A period that starts exactly at ``now`` is part of the replay: at a
    period boundary its periodic grant has arrived and the previous period's unspent value has
    been carried into it (or has lapsed).  Negative adjustments withdraw value from the active
    grants, earliest expiry first, and are reported with ``expired`` equal to their (negative)
    amount, so that for every grant ``amount == consumed + remaining + expired + rolled_over``
    and the totals still add up.
    """
    # ``now + _TICK``: periods_between yields periods that start before its end, and the period
    # starting at ``now`` belongs to the state at ``now``.
    periods = list(periods_between(allowance, start, now + _TICK))
    if allowance.cadence is Cadence.ONE_OFF and now < allowance.starts_at:
        periods = []
    lives: list[_Live] = []
    pending = sorted((g for g in explicit if g.granted_at <= now), key=lambda g: g.granted_at)
    points = sorted((p for p in spend if start <= p.at <= now and p.amount), key=lambda p: p.at)
    result = Replay()
    debits: list[_Live] = []
    previous_periodic: _Live | None = None
    point_index = 0
    for number, period in enumerate(periods):
        periodic = _Live(periodic_grant(allowance, period))
        if allowance.rollover is not None and previous_periodic is not None:
            carried = max(previous_periodic.left, 0)
            if allowance.rollover.cap is not None:
                carried = min(carried, allowance.rollover.cap)
            previous_periodic.carried = carried
            if carried > 0:
                lives.append(
                    _Live(
                        Grant(
                            id=f"rollover:{int(period[0].timestamp())}",
                            allowance_id=allowance.id,
                            kind=GrantKind.ROLLOVER,
                            amount=carried,
                            granted_at=period[0],
                            expires_at=rollover_expiry(allowance, period),
                            note=f"carried from the period before {period[0].date().isoformat()}",
                        )
                    )
                )
        if periodic.grant.granted_at <= now:
            lives.append(periodic)
        previous_periodic = periodic
        # Spend stamped exactly ``now`` counts (a manual entry made this second).
        period_end = periods[number + 1][0] if number + 1 < len(periods) else now + _TICK
        overspent = 0
        # Walk this period's spend and explicit grant arrivals together, in time order.
        while True:
            next_spend = points[point_index].at if point_index < len(points) else None
            if next_spend is not None and next_spend >= period_end:
                next_spend = None
            next_grant = pending[0].granted_at if pending else None
            if next_grant is not None and next_spend is not None and next_grant <= next_spend:
                grant = pending.pop(0)
                live = _Live(grant)
                _arrive(live, lives, debits)
                continue
            if next_spend is None:
                break
            point = points[point_index]
            point_index += 1
            overspent += _take(_active(lives, point.at), point.amount)
        # Grants granted after the last spend of the period but before ``now`` still count.
        while pending and pending[0].granted_at < period_end:
            _arrive(_Live(pending.pop(0)), lives, debits)
        if overspent:
            result.overspent_by_period[period[0]] = overspent
    for live in lives:
        lapsed = _expiry(live.grant) <= now
        expired = live.left + live.withdrawn - live.carried if lapsed else live.withdrawn
        remaining = 0 if lapsed else live.left
        result.balances.append(
            GrantBalance(
                live.grant, consumed=live.consumed, remaining=remaining, expired=expired, rolled_over=live.carried
            )
        )
    for live in debits:
        # Only what could actually be withdrawn counts: a debit larger than the balance is clamped.
        grant = live.grant if live.withdrawn == -live.grant.amount else replace(live.grant, amount=-live.withdrawn)
        result.balances.append(GrantBalance(grant, consumed=0, remaining=0, expired=-live.withdrawn))
    result.balances.sort(key=lambda b: _order(b.grant))
    return result


def _arrive(live: _Live, lives: list[_Live], debits: list[_Live]) -> None:
    """A stored grant becomes active; a negative adjustment withdraws from what is active now."""
    if live.grant.amount >= 0:
        lives.append(live)
        return
    debits.append(live)
    wanted = -live.grant.amount
    live.withdrawn = wanted - _take(_active(lives, live.grant.granted_at), wanted, withdraw=True)


def _active(lives: list[_Live], at: datetime) -> list[_Live]:
    """Grants that hold value at ``at``, the one expiring first first."""
    active = [x for x in lives if x.grant.granted_at <= at < _expiry(x.grant) and x.left > 0]
    active.sort(key=lambda x: _order(x.grant))
    return active
