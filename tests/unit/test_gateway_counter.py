"""The running-counter history of gateways, piece by piece (pure functions, hand-computed figures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tokenwallet.sources import _gateway as gw
from tokenwallet.sources.litellm import period_start
from tokenwallet.sources.openrouter import _month_so_far


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_a_rise_is_cut_at_midnights_in_proportion_to_time() -> None:
    pieces = gw.spread(1_000_001, at(14, 18), at(16, 6))  # 6 h + 24 h + 6 h
    assert [(a, b) for a, b, _ in pieces] == [(at(14, 18), at(15)), (at(15), at(16)), (at(16), at(16, 6))]
    # 1,000,001 x 6/36 = 166,666.83, x 24/36 = 666,667.33, x 6/36 = 166,666.83: the floors leave 2 micros,
    # which go to the two largest remainders (.83 and .83).
    assert [p for _, _, p in pieces] == [166_666 + 1, 666_667, 166_666 + 1]
    assert sum(p for _, _, p in pieces) == 1_000_001


def test_the_part_after_midnight_is_placed_by_the_days_own_figure() -> None:
    rows = gw.since_last_poll("or", "openrouter", (5_000_000, at(14, 12)), at(15, 9), 7_500_000, today=400_000)
    # Rose by 2.50; 0.40 was spent today (usage_daily): 2.10 belongs to the afternoon of the 14th.
    assert [(r.bucket_start, r.bucket_end, r.cost_micros) for r in rows] == [
        (at(14, 12), at(15), 2_100_000),
        (at(15), at(15, 9), 400_000),
    ]
    assert {r.confidence.value for r in rows} == {"gateway"}
    # The same poll repeated from the same cursor writes the same keys (replaced, never added).
    again = gw.since_last_poll("or", "openrouter", (5_000_000, at(14, 12)), at(15, 9), 7_500_000, today=400_000)
    assert [r.key for r in again] == [r.key for r in rows]


def test_a_counter_that_fell_was_reset_and_counts_what_it_holds() -> None:
    rows = gw.since_last_poll("lt", "litellm", (98_000_000, at(30, 23)), at(1, 1, month=12), 3_000_000)
    assert sum(r.cost_micros or 0 for r in rows) == 3_000_000
    assert gw.since_last_poll("lt", "litellm", (3_000_000, at(14)), at(15), 3_000_000) == []  # nothing spent


def test_a_budget_period_starts_on_the_calendar_boundary_litellm_resets_on() -> None:
    assert period_start("30d", at(1, month=12)) == at(1)  # monthly budgets reset on the 1st
    assert period_start("7d", at(16)) == at(9)
    assert period_start("24h", at(16)) == at(15)
    assert period_start("90m", at(16)) == at(16) - timedelta(minutes=90)
    assert period_start("", at(16)) is None and period_start("30d", None) is None


def test_the_first_openrouter_poll_places_the_month_from_monthly_weekly_and_daily_spend() -> None:
    data = {"usage_monthly": 30.0, "usage_weekly": 12.0, "usage_daily": 2.0}
    rows = _month_so_far("or", data, at(18, 6))  # Wednesday; the week began Monday the 16th
    by_day = {r.bucket_start.day: r.cost_micros for r in rows}
    assert by_day[18] == 2_000_000  # today so far
    assert by_day[16] + by_day[17] == 12_000_000 - 2_000_000 and by_day[16] == by_day[17]
    assert sum(by_day[d] for d in range(1, 16)) == 30_000_000 - 12_000_000
    # A week that began last month: only the month's part of it is known, spread from the 1st.
    early = _month_so_far("or", {"usage_monthly": 5.0, "usage_weekly": 9.0, "usage_daily": 1.0}, at(2, 12, month=12))
    assert {r.bucket_start.day: r.cost_micros for r in early} == {2: 1_000_000, 1: 4_000_000}
