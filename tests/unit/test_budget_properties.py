"""Property tests of the allowance engine: value is conserved whatever the grants and spend."""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from tokenwallet.budget.engine import closed_status, compute_status, plan
from tokenwallet.budget.grants import replay, window_start
from tokenwallet.budget.periods import periods_between
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


# Closed periods ------------------------------------------------------------------------------

_HORIZON_DAYS = {
    Cadence.DAILY: 30,
    Cadence.WEEKLY: 120,
    Cadence.MONTHLY: 400,
    Cadence.QUARTERLY: 800,
    Cadence.YEARLY: 1500,
}


@st.composite
def histories(draw: st.DrawFn) -> tuple[Allowance, list[Grant], list[SpendPoint], datetime]:
    """An allowance of any cadence, top-ups and adjustments, and spend that often falls exactly on a
    period boundary, a grant's arrival or an expiry; with the moment the history ends."""
    cadence = draw(st.sampled_from(list(_HORIZON_DAYS)))
    horizon = START + timedelta(days=_HORIZON_DAYS[cadence])
    minutes = st.integers(min_value=0, max_value=int((horizon - START).total_seconds() // 60))
    moment = minutes.map(lambda m: START + timedelta(minutes=m))
    rollover = draw(
        st.none()
        | st.builds(
            RolloverPolicy,
            cap=st.none() | st.integers(min_value=0, max_value=3_000),
            expires_days=st.none() | st.integers(min_value=1, max_value=100),
        )
    )
    anchor = draw(st.integers(min_value=1, max_value=7 if cadence is Cadence.WEEKLY else 28))
    allowance = Allowance(
        id="a",
        name="a",
        unit=Unit.TOKENS,
        amount=draw(st.integers(min_value=0, max_value=10_000)),
        cadence=cadence,
        starts_at=draw(moment) if draw(st.booleans()) else START,
        timezone=draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])),
        anchor_day=anchor if cadence is not Cadence.DAILY else 1,
        rollover=rollover,
    )
    explicit = []
    for number in range(draw(st.integers(0, 5))):
        at = draw(moment)
        if draw(st.booleans()):
            lasts = draw(st.none() | st.integers(min_value=1, max_value=60 * 24 * 200))
            expires = None if lasts is None else at + timedelta(minutes=lasts)
            explicit.append(Grant(f"t{number}", "a", GrantKind.TOPUP, draw(amounts), at, expires))
        else:
            amount = draw(st.integers(min_value=-5_000, max_value=5_000).filter(bool))
            explicit.append(Grant(f"j{number}", "a", GrantKind.ADJUSTMENT, amount, at))
    edges = [p[0] for p in periods_between(allowance, START, horizon)]
    edges += [g.granted_at for g in explicit] + [g.expires_at for g in explicit if g.expires_at is not None]
    at = moment | st.sampled_from(edges) if edges else moment
    spend = draw(st.lists(st.builds(SpendPoint, at=at, amount=amounts, estimated=st.booleans()), max_size=40))
    return allowance, explicit, spend, horizon


def _closed_periods(allowance: Allowance, horizon: datetime) -> list[tuple[datetime, datetime]]:
    return [p for p in periods_between(allowance, START, horizon) if p[1] <= horizon]


@settings(max_examples=150, deadline=None, database=None)
@given(histories())
def test_every_closed_period_accounts_for_all_its_value(
    history: tuple[Allowance, list[Grant], list[SpendPoint], datetime],
) -> None:
    """Per period: granted = spent + remaining + expired + rolled over; what was held just before the
    end is what is still held, lapsed or carried after it; and the period's spend is all counted."""
    allowance, explicit, spend, horizon = history
    for period in _closed_periods(allowance, horizon):
        start, end = period
        closed = closed_status(allowance, explicit, spend, period)
        assert closed.granted == closed.spent + closed.remaining + closed.expired + closed.rolled_over
        for b in closed.grants:
            assert b.grant.amount == b.consumed + b.remaining + b.expired + b.rolled_over
            assert b.consumed >= 0 and b.remaining >= 0 and b.rolled_over >= 0
            assert b.grant.amount < 0 or b.expired >= 0
            assert b.remaining == 0 or b.grant.expires_at is None or b.grant.expires_at > end
            assert b.rolled_over == 0 or (b.grant.kind is GrantKind.PERIODIC and allowance.rollover is not None)
            if allowance.rollover is not None and allowance.rollover.cap is not None:
                assert b.rolled_over <= allowance.rollover.cap
        counted = [p for p in spend if max(start, allowance.starts_at) <= p.at < end]
        assert closed.period_spent == sum(p.amount for p in counted)
        # Just before the end the same grants were held; at the end nothing more was spent, and each
        # grant's remaining value is still held, lapsed, or carried into the next period.
        before = compute_status(allowance, explicit, spend, end - timedelta(microseconds=1))
        after = {b.grant.id: b for b in closed.grants}
        assert {b.grant.id for b in before.grants} <= set(after)
        for b in before.grants:
            a = after[b.grant.id]
            assert a.consumed == b.consumed
            assert b.remaining == a.remaining + (a.expired - b.expired) + a.rolled_over


@settings(max_examples=150, deadline=None, database=None)
@given(histories())
def test_what_a_period_rolls_over_is_what_the_next_one_receives(
    history: tuple[Allowance, list[Grant], list[SpendPoint], datetime],
) -> None:
    """Replaying the whole history (no look-back limit), the value a closed period carried out is the
    rollover grant of the period starting at its end, and the status at exactly that boundary has
    the new period's grant and counts spend stamped at the boundary."""
    allowance, explicit, spend, horizon = history
    with patch("tokenwallet.budget.grants.ROLLOVER_LOOKBACK_PERIODS", 100_000):
        for period in _closed_periods(allowance, horizon):
            end = period[1]
            closed = closed_status(allowance, explicit, spend, period)
            at_end = compute_status(allowance, explicit, spend, end)
            assert at_end.period_start == end
            new = [b for b in at_end.grants if b.grant.granted_at == end]
            periodic = [b.grant.amount for b in new if b.grant.kind is GrantKind.PERIODIC]
            assert periodic == [allowance.amount]
            carried = [b.grant.amount for b in new if b.grant.kind is GrantKind.ROLLOVER]
            assert sum(carried) == closed.rolled_over
            assert at_end.period_spent == sum(p.amount for p in spend if p.at == end)
            assert at_end.granted == at_end.spent + at_end.remaining + at_end.expired + at_end.rolled_over
