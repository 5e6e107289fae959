"""Property tests of the allowance engine: value is conserved whatever the grants and spend."""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from tokenwallet.budget.engine import compute_status, plan
from tokenwallet.budget.grants import replay, window_start
from tokenwallet.domain.allowance import (
    Allowance,
    Cadence,
    Grant,
    GrantKind,
    RolloverPolicy,
    SpendPoint,
    Unit,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
HOURS = 24 * 120

# Hypothesis caches files under ./.hypothesis by default; that folder in the working tree makes
# pytest's collection warn (an error here), so keep its files in the temporary directory.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "tokenwallet-hypothesis")


hours = st.integers(min_value=0, max_value=HOURS)
amounts = st.integers(min_value=1, max_value=5_000)


@st.composite
def allowances(draw: st.DrawFn) -> Allowance:
    cadence = draw(st.sampled_from([Cadence.DAILY, Cadence.WEEKLY, Cadence.MONTHLY, Cadence.QUARTERLY]))
    rollover = draw(
        st.none()
        | st.builds(
            RolloverPolicy,
            cap=st.none() | st.integers(min_value=0, max_value=3_000),
            expires_days=st.none() | st.integers(min_value=1, max_value=40),
        )
    )
    anchor = draw(st.integers(min_value=1, max_value=7 if cadence is Cadence.WEEKLY else 28))
    return Allowance(
        id="a",
        name="a",
        unit=Unit.TOKENS,
        amount=draw(st.integers(min_value=0, max_value=10_000)),
        cadence=cadence,
        starts_at=START + timedelta(hours=draw(st.integers(0, 24 * 10))),
        timezone=draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])),
        anchor_day=anchor if cadence in (Cadence.WEEKLY, Cadence.MONTHLY, Cadence.QUARTERLY) else 1,
        rollover=rollover,
    )


@st.composite
def grants(draw: st.DrawFn) -> list[Grant]:
    result = []
    for number in range(draw(st.integers(0, 4))):
        at = START + timedelta(hours=draw(hours))
        negative = draw(st.booleans()) and number % 2 == 1
        amount = -draw(amounts) if negative else draw(amounts)
        expires = None if negative or draw(st.booleans()) else at + timedelta(hours=draw(st.integers(1, 24 * 60)))
        kind = GrantKind.ADJUSTMENT if negative or draw(st.booleans()) else GrantKind.TOPUP
        result.append(Grant(f"g{number}", "a", kind, amount, at, expires))
    return result


spends = st.lists(
    st.builds(
        SpendPoint,
        at=hours.map(lambda h: START + timedelta(hours=h, minutes=17)),
        amount=amounts,
        estimated=st.booleans(),
    ),
    max_size=40,
)
nows = hours.map(lambda h: START + timedelta(hours=h, minutes=30))


@settings(max_examples=150, deadline=None, database=None)
@given(allowances(), grants(), spends, nows)
def test_granted_equals_spent_plus_remaining_plus_expired(
    allowance: Allowance, explicit: list[Grant], spend: list[SpendPoint], now: datetime
) -> None:
    status = compute_status(allowance, explicit, spend, now)
    assert status.granted == status.spent + status.remaining + status.expired
    for balance in status.grants:
        assert balance.grant.amount == balance.consumed + balance.remaining + balance.expired


@settings(max_examples=150, deadline=None, database=None)
@given(allowances(), grants(), spends, nows)
def test_no_negative_balances(
    allowance: Allowance, explicit: list[Grant], spend: list[SpendPoint], now: datetime
) -> None:
    status = compute_status(allowance, explicit, spend, now)
    assert status.remaining >= 0 and status.spent >= 0 and status.overspent >= 0
    assert status.percent_used >= 0.0
    for balance in status.grants:
        assert balance.consumed >= 0 and balance.remaining >= 0
        if balance.grant.amount >= 0:
            assert balance.expired >= 0
    for forecast in status.expiring:
        assert 0 <= forecast.projected_unspent <= forecast.remaining_now
        assert forecast.daily_pace_needed >= 0


@settings(max_examples=150, deadline=None, database=None)
@given(allowances(), grants(), spends, nows, st.randoms(use_true_random=False))
def test_spend_order_does_not_change_totals(
    allowance: Allowance, explicit: list[Grant], spend: list[SpendPoint], now: datetime, rnd: random.Random
) -> None:
    shuffled = list(spend)
    rnd.shuffle(shuffled)
    assert compute_status(allowance, explicit, shuffled, now) == compute_status(allowance, explicit, spend, now)


@settings(max_examples=150, deadline=None, database=None)
@given(allowances(), grants(), spends, nows)
def test_spend_moved_within_a_segment_does_not_change_totals(
    allowance: Allowance, explicit: list[Grant], spend: list[SpendPoint], now: datetime
) -> None:
    """Summing spend per plan segment (what the ledger glue does) is exact."""
    marks = plan(allowance, explicit, now)
    moved = []
    for point in spend:
        starts = [m for m in marks if m <= point.at]
        moved.append(SpendPoint(max(starts), point.amount, point.estimated) if starts and point.at < now else point)
    assert compute_status(allowance, explicit, moved, now) == compute_status(allowance, explicit, spend, now)


@settings(max_examples=150, deadline=None, database=None)
@given(allowances(), grants(), spends, nows)
def test_every_unit_of_spend_is_consumed_or_overspent(
    allowance: Allowance, explicit: list[Grant], spend: list[SpendPoint], now: datetime
) -> None:
    start = window_start(allowance, explicit, now)
    replayed = replay(allowance, explicit, spend, start, now)
    counted = sum(p.amount for p in spend if start <= p.at <= now)
    consumed = sum(b.consumed for b in replayed.balances)
    assert consumed + sum(replayed.overspent_by_period.values()) == counted


@settings(max_examples=100, deadline=None, database=None)
@given(allowances(), grants(), spends, nows, st.builds(SpendPoint, at=nows, amount=amounts))
def test_more_spend_never_leaves_more(
    allowance: Allowance, explicit: list[Grant], spend: list[SpendPoint], now: datetime, extra: SpendPoint
) -> None:
    before = compute_status(allowance, explicit, spend, now)
    after = compute_status(allowance, explicit, [*spend, extra], now)
    assert after.period_spent >= before.period_spent
    if allowance.rollover is None:
        assert after.remaining <= before.remaining
