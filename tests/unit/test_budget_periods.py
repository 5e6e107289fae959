"""Periods are computed in the allowance's zone, across month ends and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tokenwallet.budget.periods import period_at, period_key, periods_between
from tokenwallet.domain.allowance import Allowance, Cadence, Unit


def make(cadence: Cadence, *, tz: str = "Europe/Berlin", anchor: int = 1, **extra: object) -> Allowance:
    starts = extra.pop("starts_at", datetime(2026, 1, 1, tzinfo=UTC))
    return Allowance(
        id="a",
        name="a",
        unit=Unit.USD,
        amount=1,
        cadence=cadence,
        starts_at=starts,
        timezone=tz,
        anchor_day=anchor,
        **extra,  # type: ignore[arg-type]
    )


def test_monthly_period_is_local_midnight_to_local_midnight_across_dst() -> None:
    allowance = make(Cadence.MONTHLY)
    start, end = period_at(allowance, datetime(2026, 10, 26, 12, tzinfo=UTC))
    # Berlin is UTC+2 until 25 October 2026, then UTC+1: October has 745 hours.
    assert start == datetime(2026, 9, 30, 22, tzinfo=UTC)
    assert end == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert end - start == timedelta(hours=745)


def test_monthly_boundary_is_exclusive_at_the_end() -> None:
    allowance = make(Cadence.MONTHLY)
    boundary = datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert period_at(allowance, boundary)[0] == boundary
    assert period_at(allowance, boundary - timedelta(seconds=1))[1] == boundary


def test_anchor_day_moves_the_month_start() -> None:
    allowance = make(Cadence.MONTHLY, tz="UTC", anchor=15)
    assert period_at(allowance, datetime(2026, 11, 10, tzinfo=UTC)) == (
        datetime(2026, 10, 15, tzinfo=UTC),
        datetime(2026, 11, 15, tzinfo=UTC),
    )
    assert period_at(allowance, datetime(2026, 11, 15, tzinfo=UTC))[0] == datetime(2026, 11, 15, tzinfo=UTC)


def test_weekly_anchor_is_an_iso_weekday() -> None:
    allowance = make(Cadence.WEEKLY, tz="UTC", anchor=3)  # Wednesdays
    start, end = period_at(allowance, datetime(2026, 11, 15, 12, tzinfo=UTC))  # a Sunday
    assert start == datetime(2026, 11, 11, tzinfo=UTC) and start.isoweekday() == 3
    assert end == datetime(2026, 11, 18, tzinfo=UTC)


def test_daily_period_across_spring_forward_is_23_hours() -> None:
    allowance = make(Cadence.DAILY, tz="America/New_York")
    start, end = period_at(allowance, datetime(2026, 3, 8, 12, tzinfo=UTC))
    assert end - start == timedelta(hours=23)


def test_quarterly_and_yearly_align_to_the_start_month() -> None:
    quarterly = make(Cadence.QUARTERLY, tz="UTC", starts_at=datetime(2026, 2, 1, tzinfo=UTC))
    assert period_at(quarterly, datetime(2026, 11, 15, tzinfo=UTC)) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2027, 2, 1, tzinfo=UTC),
    )
    yearly = make(Cadence.YEARLY, tz="UTC", starts_at=datetime(2026, 4, 1, tzinfo=UTC))
    assert period_at(yearly, datetime(2027, 3, 31, tzinfo=UTC)) == (
        datetime(2026, 4, 1, tzinfo=UTC),
        datetime(2027, 4, 1, tzinfo=UTC),
    )


def test_one_off_is_one_period() -> None:
    ends = datetime(2026, 12, 31, tzinfo=UTC)
    allowance = make(Cadence.ONE_OFF, ends_at=ends)
    assert period_at(allowance, datetime(2026, 6, 1, tzinfo=UTC)) == (datetime(2026, 1, 1, tzinfo=UTC), ends)
    assert (
        len(list(periods_between(allowance, datetime(2025, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)))) == 1
    )


def test_periods_between_stops_at_the_end_and_starts_at_the_start() -> None:
    allowance = make(
        Cadence.MONTHLY, tz="UTC", starts_at=datetime(2026, 3, 1, tzinfo=UTC), ends_at=datetime(2026, 6, 1, tzinfo=UTC)
    )
    periods = list(periods_between(allowance, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)))
    assert [p[0].month for p in periods] == [3, 4, 5]


@pytest.mark.parametrize(
    ("cadence", "expected"),
    [(Cadence.MONTHLY, "2026-11"), (Cadence.WEEKLY, "2026-W46"), (Cadence.DAILY, "2026-11-15")],
)
def test_period_key(cadence: Cadence, expected: str) -> None:
    allowance = make(cadence, tz="UTC")
    start = period_at(allowance, datetime(2026, 11, 15, 12, tzinfo=UTC))[0]
    assert period_key(allowance, start) == expected
