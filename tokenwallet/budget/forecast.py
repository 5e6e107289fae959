"""Forecasts from the current burn rate: run-out time and the value that will lapse unspent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec

from tokenwallet.domain.allowance import ExpiryForecast, GrantBalance, GrantKind, RolloverPolicy

DAY_SECONDS = 86_400.0


class Projection(msgspec.Struct, frozen=True):
    """Where the balance goes if spend continues at ``rate`` per day."""

    runout: datetime | None
    expiring: tuple[ExpiryForecast, ...]


def burn_rate(spent_in_window: int, window_start: datetime, now: datetime) -> float:
    """Spend per day over the trailing window; a window shorter than a day counts as one day."""
    days = max((now - window_start).total_seconds() / DAY_SECONDS, 1.0)
    return spent_in_window / days


def project(
    balances: Sequence[GrantBalance],
    now: datetime,
    rate: float,
    horizon: datetime,
    rollover: RolloverPolicy | None = None,
) -> Projection:
    """Spend ``rate`` per day from ``now`` against the grants that hold value, earliest expiry first.

    ``runout`` is when nothing is left because it was spent (None when the value lasts until it
    expires or until ``horizon``, usually the next reset).  For every upcoming expiry the forecast
    says what those grants hold now, what will still be unspent when they lapse (less what the
    rollover policy carries into the next period), and the daily pace that would use all value
    expiring by then.
    """
    live = sorted(
        (b for b in balances if b.remaining > 0),
        key=lambda b: (b.grant.expires_at or datetime.max.replace(tzinfo=now.tzinfo), b.grant.id),
    )
    cursor = now
    exhausted_at: datetime | None = None
    unspent: dict[datetime, int] = {}
    held: dict[datetime, int] = {}
    for balance in live:
        expires = balance.grant.expires_at
        amount = balance.remaining
        if expires is not None:
            held[expires] = held.get(expires, 0) + amount
        if expires is not None and expires <= cursor:
            lapse = amount
        elif rate <= 0:
            lapse = amount
            exhausted_at = None
        else:
            needed = timedelta(days=amount / rate)
            if expires is None or cursor + needed <= expires:
                cursor = cursor + needed
                exhausted_at = cursor
                lapse = 0
            else:
                lapse = amount - int(rate * (expires - cursor).total_seconds() / DAY_SECONDS)
                cursor = expires
                exhausted_at = None
        if expires is not None:
            if balance.grant.kind is GrantKind.PERIODIC and rollover is not None:
                lapse -= lapse if rollover.cap is None else min(lapse, rollover.cap)
            unspent[expires] = unspent.get(expires, 0) + max(lapse, 0)
    runout = exhausted_at if exhausted_at is not None and exhausted_at < horizon else None
    forecasts = []
    cumulative = 0
    for at in sorted(held):
        cumulative += held[at]
        days = (at - now).total_seconds() / DAY_SECONDS
        pace = cumulative / days if days > 0 else float(cumulative)
        forecasts.append(ExpiryForecast(at, held[at], unspent.get(at, 0), pace))
    return Projection(runout, tuple(forecasts))
