"""The clock is injected everywhere so that tests can fix time.

A clock is any callable returning an aware UTC ``datetime``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and simulations."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        """Jump to ``now`` (an aware datetime)."""
        self._now = now.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        self._now = self._now + delta
        return self._now


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; naive datetimes are refused because their zone is a guess."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no time zone")
    return value.astimezone(UTC)
