"""When each account is polled next: a pure policy over wall-clock due times.

Due times are absolute (UTC wall clock), so after a laptop sleeps every overdue account is due
exactly once on the next tick instead of once per missed interval.  Failures back off
exponentially up to an hour; a provider's Retry-After is honoured up to a day; jitter spreads
accounts so they do not all fire in the same second.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from tokenwallet.domain.accounts import SyncState
from tokenwallet.domain.limits import MAX_DURATION
from tokenwallet.sources.http import MAX_RETRY_AFTER_SECONDS

DEFAULT_INTERVAL = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
JITTER_FRACTION = 0.1


def effective_interval(requested: timedelta | None, provider_minimum: timedelta) -> timedelta:
    """The account's interval (default 5 minutes), never below what the provider allows nor above ten years."""
    return min(max(requested or DEFAULT_INTERVAL, provider_minimum), MAX_DURATION)


def _jitter(base: timedelta, rng: random.Random | None, fraction: float = JITTER_FRACTION) -> timedelta:
    if rng is None or base <= timedelta(0):
        return timedelta(0)
    return timedelta(seconds=rng.uniform(0, base.total_seconds() * fraction))


def after_success(now: datetime, interval: timedelta, rng: random.Random | None = None) -> datetime:
    """The next due time after a successful poll: one interval plus up to 10 % jitter."""
    return now + interval + _jitter(interval, rng)


def backoff(failures: int, interval: timedelta) -> timedelta:
    """The wait after ``failures`` consecutive failures: interval x 2^(failures-1), capped at an hour."""
    if failures <= 0:
        return interval
    delay: timedelta = interval * (2 ** min(failures - 1, 20))
    return min(max(delay, interval), max(MAX_BACKOFF, interval))


def after_failure(
    now: datetime,
    interval: timedelta,
    failures: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The next due time after the ``failures``-th failure in a row; never before Retry-After (up to a day)."""
    wait = backoff(failures, interval) + _jitter(backoff(failures, interval), rng)
    if retry_after is not None and not math.isnan(retry_after):
        # Clamped here as well as where the header is read: a wait of 1e400 s or of eight
        # thousand years would overflow the date arithmetic and stop every later poll.
        wait = max(wait, timedelta(seconds=min(max(retry_after, 0.0), MAX_RETRY_AFTER_SECONDS)))
    return now + wait


def is_due(state: SyncState, now: datetime) -> bool:
    """True when the account has never been polled or its due time has passed."""
    return state.next_due is None or state.next_due <= now


def due(states: Iterable[SyncState], now: datetime, *, limit: int | None = None) -> list[str]:
    """Account ids due at ``now``, most overdue first (never polled first of all), at most ``limit``."""
    ready = [s for s in states if is_due(s, now)]
    ready.sort(key=lambda s: (s.next_due is not None, s.next_due or now, s.account_id))
    ids = [s.account_id for s in ready]
    return ids if limit is None else ids[:limit]
