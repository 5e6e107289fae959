"""Named scenarios for the allowance engine, with fixed clocks.

The main scenario: a $200 monthly allowance in Europe/Berlin with rollover capped at $40 and a
$50 top-up that expires at the end of 15 November, followed across the October/November month
boundary, which in 2026 comes one week after the change from summer to winter time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tokenwallet.budget.engine import apply_limit, compute_status, daily_totals, plan
from tokenwallet.budget.periods import zone
from tokenwallet.domain.allowance import (
    Allowance,
    Cadence,
    Grant,
    GrantKind,
    RolloverPolicy,
    SpendPoint,
    Unit,
)
from tokenwallet.domain.money import usd_to_micros as usd

BERLIN_OCT_START = datetime(2026, 9, 30, 22, tzinfo=UTC)  # 1 October, 00:00 CEST
BERLIN_NOV_START = datetime(2026, 10, 31, 23, tzinfo=UTC)  # 1 November, 00:00 CET
BERLIN_DEC_START = datetime(2026, 11, 30, 23, tzinfo=UTC)
TOPUP_EXPIRES = datetime(2026, 11, 15, 23, tzinfo=UTC)  # end of 15 November, Berlin


def work_allowance(**changes: object) -> Allowance:
    values: dict[str, object] = {
        "id": "work",
        "name": "work",
        "unit": Unit.USD,
        "amount": usd(200),
        "cadence": Cadence.MONTHLY,
        "starts_at": BERLIN_OCT_START,
        "timezone": "Europe/Berlin",
        "rollover": RolloverPolicy(cap=usd(40)),
    }
    values.update(changes)
    return Allowance(**values)  # type: ignore[arg-type]


TOPUP = Grant("t1", "work", GrantKind.TOPUP, usd(50), BERLIN_NOV_START, TOPUP_EXPIRES)

SPEND = [
    SpendPoint(datetime(2026, 10, 20, 10, tzinfo=UTC), usd(160)),
    SpendPoint(datetime(2026, 10, 31, 22, 30, tzinfo=UTC), usd(5)),  # 23:30 on 31 October in Berlin
    SpendPoint(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), usd(10)),  # 00:30 on 1 November in Berlin
    SpendPoint(datetime(2026, 11, 5, 12, tzinfo=UTC), usd(30)),
]


def by_kind(status_grants: object) -> dict[GrantKind, object]:
    return {b.grant.kind: b for b in status_grants}  # type: ignore[attr-defined]


def test_month_boundary_in_local_time_decides_the_rollover() -> None:
    status = compute_status(work_allowance(), [TOPUP], SPEND, datetime(2026, 11, 10, 12, tzinfo=UTC))
    assert status.period_start == BERLIN_NOV_START
    assert status.period_end == BERLIN_DEC_START
    grants = by_kind(status.grants)
    # October spent 165 of 200 (the 23:30 spend is October, the 00:30 spend November): 35 carried.
    assert grants[GrantKind.ROLLOVER].grant.amount == usd(35)  # type: ignore[attr-defined]
    assert status.granted == usd(200 + 35 + 50)
    assert status.period_spent == usd(40)


def test_topup_expiring_first_is_consumed_first() -> None:
    status = compute_status(work_allowance(), [TOPUP], SPEND, datetime(2026, 11, 10, 12, tzinfo=UTC))
    grants = by_kind(status.grants)
    assert grants[GrantKind.TOPUP].consumed == usd(40)  # type: ignore[attr-defined]
    assert grants[GrantKind.TOPUP].remaining == usd(10)  # type: ignore[attr-defined]
    assert grants[GrantKind.ROLLOVER].consumed == 0  # type: ignore[attr-defined]
    assert grants[GrantKind.PERIODIC].consumed == 0  # type: ignore[attr-defined]
    assert (status.spent, status.remaining, status.expired) == (usd(40), usd(245), 0)
    assert status.percent_used == pytest.approx(100 * 40 / 285, abs=0.01)


def test_burn_rate_forecast_and_expiring_value() -> None:
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    status = compute_status(work_allowance(), [TOPUP], SPEND, now)
    # Only the $30 of 5 November falls in the trailing seven days.
    assert status.burn_rate_per_day == pytest.approx(usd(30) / 7, rel=1e-3)
    days_left = (BERLIN_DEC_START - now).total_seconds() / 86400
    assert status.days_left == pytest.approx(days_left, abs=1e-3)
    assert status.projected_period_spend == pytest.approx(usd(40) + usd(30) / 7 * days_left, rel=1e-6)
    topup, month_end = status.expiring
    assert topup.at == TOPUP_EXPIRES and topup.remaining_now == usd(10)
    assert topup.projected_unspent == 0  # at $4.29/day the $10 is used before the 15th ends
    assert topup.daily_pace_needed == pytest.approx(usd(10) / ((TOPUP_EXPIRES - now).total_seconds() / 86400))
    assert month_end.at == BERLIN_DEC_START and month_end.remaining_now == usd(235)
    # The top-up lasts until 12 November and the $35 carried until 21 November 00:00 UTC; of the
    # periodic $200 only 9.96 days' worth is used by the reset, $40 of the rest rolls over and
    # the remainder lapses.
    assert month_end.projected_unspent == pytest.approx(usd(200 - 40) - usd(30) / 7 * (9 + 23 / 24), rel=1e-4)
    assert status.projected_runout is None


def test_unspent_topup_expires_on_the_15th() -> None:
    status = compute_status(work_allowance(), [TOPUP], SPEND, datetime(2026, 11, 20, 12, tzinfo=UTC))
    grants = by_kind(status.grants)
    assert grants[GrantKind.TOPUP].expired == usd(10)  # type: ignore[attr-defined]
    assert grants[GrantKind.TOPUP].remaining == 0  # type: ignore[attr-defined]
    assert status.expired == usd(10)
    assert status.granted == status.spent + status.remaining + status.expired
    assert [e.at for e in status.expiring] == [BERLIN_DEC_START]


def test_rollover_is_capped_across_the_next_month_boundary() -> None:
    # November's periodic $200 was never touched (the top-up took all spend): $40 is carried.
    status = compute_status(work_allowance(), [TOPUP], SPEND, datetime(2026, 12, 1, 12, tzinfo=UTC))
    grants = by_kind(status.grants)
    assert status.period_start == BERLIN_DEC_START
    assert grants[GrantKind.ROLLOVER].grant.amount == usd(40)  # type: ignore[attr-defined]
    assert status.granted == usd(240) and status.spent == 0 and status.period_spent == 0


def test_rollover_with_its_own_expiry() -> None:
    allowance = work_allowance(rollover=RolloverPolicy(cap=usd(40), expires_days=7))
    status = compute_status(allowance, [], SPEND[:2], datetime(2026, 11, 10, 12, tzinfo=UTC))
    rollover = by_kind(status.grants)[GrantKind.ROLLOVER]
    assert rollover.grant.expires_at == BERLIN_NOV_START + timedelta(days=7)  # type: ignore[attr-defined]
    assert rollover.expired == usd(35) and status.expired == usd(35)  # type: ignore[attr-defined]


def test_no_rollover_means_last_month_does_not_matter() -> None:
    allowance = work_allowance(rollover=None)
    status = compute_status(allowance, [], SPEND, datetime(2026, 11, 10, 12, tzinfo=UTC))
    assert status.granted == usd(200) and status.spent == usd(40) and status.remaining == usd(160)


def test_overspending_is_reported_and_never_negative() -> None:
    allowance = work_allowance(rollover=None)
    spend = [SpendPoint(datetime(2026, 11, 3, tzinfo=UTC), usd(250))]
    status = compute_status(allowance, [], spend, datetime(2026, 11, 10, 12, tzinfo=UTC))
    assert status.remaining == 0 and status.spent == usd(200) and status.overspent == usd(50)
    assert status.percent_used == 100.0
    assert status.projected_runout == datetime(2026, 11, 10, 12, tzinfo=UTC)  # already used up


def test_projected_runout_before_reset() -> None:
    allowance = work_allowance(rollover=None)
    spend = [SpendPoint(datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=d), usd(10)) for d in range(7)]
    now = datetime(2026, 11, 8, tzinfo=UTC)
    status = compute_status(allowance, [], spend, now)
    assert status.burn_rate_per_day == pytest.approx(usd(10))
    assert status.remaining == usd(130)
    assert status.projected_runout == now + timedelta(days=13)


def test_negative_adjustment_withdraws_and_totals_still_add_up() -> None:
    allowance = work_allowance(rollover=None)
    cut = Grant("adj", "work", GrantKind.ADJUSTMENT, -usd(25), datetime(2026, 11, 2, tzinfo=UTC))
    status = compute_status(allowance, [cut], [], datetime(2026, 11, 10, tzinfo=UTC))
    assert status.remaining == usd(175)
    assert status.granted == status.spent + status.remaining + status.expired == usd(175)


def test_estimated_share_and_burn_window_shorter_than_a_day() -> None:
    allowance = work_allowance(rollover=None, starts_at=datetime(2026, 11, 10, 10, tzinfo=UTC))
    spend = [SpendPoint(datetime(2026, 11, 10, 11, tzinfo=UTC), usd(4), estimated=True)]
    status = compute_status(allowance, [], spend, datetime(2026, 11, 10, 12, tzinfo=UTC))
    assert status.estimated_spent == usd(4) and status.period_spent == usd(4)
    assert status.burn_rate_per_day == pytest.approx(usd(4))  # two hours count as one day


def test_one_off_allowance() -> None:
    allowance = work_allowance(
        cadence=Cadence.ONE_OFF, rollover=None, ends_at=datetime(2026, 12, 31, 23, tzinfo=UTC), amount=usd(1000)
    )
    status = compute_status(allowance, [], SPEND, datetime(2026, 11, 10, tzinfo=UTC))
    assert status.period_start == BERLIN_OCT_START and status.granted == usd(1000)
    assert status.spent == usd(205) and status.remaining == usd(795)


def test_plan_splits_at_every_grant_change() -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    marks = plan(work_allowance(), [TOPUP], now)
    assert {BERLIN_OCT_START, BERLIN_NOV_START, TOPUP_EXPIRES, now - timedelta(days=7), now} <= set(marks)
    assert marks == sorted(marks)


def test_segment_sums_give_the_same_status_as_single_points() -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    marks = plan(work_allowance(), [TOPUP], now)
    summed: dict[datetime, int] = {}
    for point in SPEND:
        segment = max(m for m in marks if m <= point.at)
        summed[segment] = summed.get(segment, 0) + point.amount
    coarse = [SpendPoint(at, amount) for at, amount in summed.items()]
    fine = compute_status(work_allowance(), [TOPUP], SPEND, now)
    assert compute_status(work_allowance(), [TOPUP], coarse, now) == fine


def test_server_side_limit_wins_when_backed() -> None:
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    status = compute_status(work_allowance(), [TOPUP], SPEND, now)
    backed = apply_limit(
        status,
        limit=usd(100),
        spent=usd(90),
        resets_at=datetime(2026, 11, 20, tzinfo=UTC),
        expires_at=None,
        backed_by="litellm-1:key",
    )
    assert (backed.granted, backed.spent, backed.remaining) == (usd(100), usd(90), usd(10))
    assert backed.period_end == datetime(2026, 11, 20, tzinfo=UTC)
    assert backed.backed_by == "litellm-1:key"
    assert backed.projected_runout is not None
    assert abs(backed.projected_runout - (now + timedelta(days=7 / 3))) < timedelta(seconds=1)


def test_daily_totals_use_the_local_calendar_day() -> None:
    points = [
        SpendPoint(datetime(2026, 10, 31, 22, 30, tzinfo=UTC), 5),
        SpendPoint(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), 7, True),
    ]
    days = daily_totals(points, zone("Europe/Berlin"))
    assert [(d.day.isoformat(), d.amount, d.estimated) for d in days] == [("2026-10-31", 5, 0), ("2026-11-01", 7, 7)]


def test_a_gateway_budget_window_ends_at_its_reset() -> None:
    from tokenwallet.budget.engine import budget_window_start

    reset = datetime(2026, 11, 16, 21, 36, tzinfo=UTC)
    assert budget_window_start("30d", reset) == reset - timedelta(days=30)
    assert budget_window_start("24h", reset) == reset - timedelta(hours=24)
    assert budget_window_start("weekly", reset) == reset - timedelta(days=7)
    assert budget_window_start("monthly", datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2026, 11, 1, tzinfo=UTC)
    assert budget_window_start("1mo", datetime(2027, 3, 31, tzinfo=UTC)) == datetime(2027, 2, 28, tzinfo=UTC)
    assert budget_window_start("2mo", datetime(2027, 1, 15, tzinfo=UTC)) == datetime(2026, 11, 15, tzinfo=UTC)
    assert budget_window_start("", reset) is None and budget_window_start("30d", None) is None
    assert budget_window_start("fortnightly", reset) is None
