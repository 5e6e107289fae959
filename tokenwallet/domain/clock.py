"""The clock is injected everywhere so that tests can fix time.

A clock is any callable returning an aware UTC ``datetime``.  The one clock of a running
tokenwallet is ``AppContext.clock``; :func:`environment_clock` fixes it at ``TOKENWALLET_NOW``
when that is set, to reproduce a state (every command and the tray app honour it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
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


NOW_VARIABLE = "TOKENWALLET_NOW"
"""Environment variable that fixes the clock of every command and of the tray app (tests, support)."""


def parse_now(text: str) -> datetime:
    """An ISO 8601 date or time for :data:`NOW_VARIABLE` (no offset: UTC), within the documented bounds.

    Raises :class:`~tokenwallet.domain.errors.UserInputError` naming the variable when it is not a
    time or lies outside 1970-2199.
    """
    from tokenwallet.domain.errors import UserInputError
    from tokenwallet.domain.limits import in_time_range

    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UserInputError(
            f"{NOW_VARIABLE}={text!r} is not a time; use ISO 8601, e.g. 2026-12-01T18:00:00-05:00 or "
            "2026-12-01T23:00:00Z (no offset means UTC), or unset it.",
            field=NOW_VARIABLE,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        moment = datetime.min.replace(tzinfo=UTC)
    if not in_time_range(moment):
        raise UserInputError(
            f"{NOW_VARIABLE}={text!r} is out of range; use a time from 1970 to 2199.", field=NOW_VARIABLE
        )
    return moment


def environment_clock(environ: Mapping[str, str] | None = None) -> Clock:
    """The clock to run with: fixed at :data:`NOW_VARIABLE` when it is set (it then stands still), else the system's.

    A bad value is a :class:`~tokenwallet.domain.errors.UserInputError` (see :func:`parse_now`).
    """
    value = (os.environ if environ is None else environ).get(NOW_VARIABLE, "")
    if not value.strip():
        return system_clock
    return FixedClock(parse_now(value))
