"""Closed periods and period boundaries, with hand-computed figures.

The scenario of the finding: a $200 monthly allowance (UTC), $50 spent in November, the report
made on 2 December.  November's unspent $150 lapses at midnight; with a $40 rollover cap, $40 of
it is carried into December and $110 lapses.  At exactly 2026-12-01T00:00:00Z December has begun:
its grant is there and `budget check` sees it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from tokenwallet.app import AppContext
from tokenwallet.budget.engine import closed_plan, closed_status, compute_status, plan
from tokenwallet.cli.root import cli
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, RolloverPolicy, SpendPoint, Unit
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Source, UsageRecord
from tokenwallet.ledger import accounts, allowances, usage
from tokenwallet.ledger.status import allowance_status, closed_period_status
from tokenwallet.reports.build import build_report
from tokenwallet.settings import Settings

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
JAN = datetime(2027, 1, 1, tzinfo=UTC)
REPORT_DAY = datetime(2026, 12, 2, 9, tzinfo=UTC)
SPEND = [
    SpendPoint(datetime(2026, 11, 10, 14, tzinfo=UTC), usd(30)),
    SpendPoint(datetime(2026, 11, 20, tzinfo=UTC), usd(20)),
]


def monthly(**changes: Any) -> Allowance:
    values: dict[str, Any] = {
        "id": "work",
        "name": "work",
        "unit": Unit.USD,
        "amount": usd(200),
        "cadence": Cadence.MONTHLY,
        "starts_at": datetime(2026, 10, 1, tzinfo=UTC),
    }
    values.update(changes)
    return Allowance(**values)


def kinds(status: Any) -> dict[GrantKind, Any]:
    return {b.grant.kind: b for b in status.grants}


# The engine -------------------------------------------------------------------------------


def test_closed_month_shows_what_lapsed() -> None:
    status = closed_status(monthly(), [], SPEND, (NOV, DEC))
    assert (status.now, status.period_start, status.period_end) == (DEC, NOV, DEC)
    assert (status.granted, status.spent, status.period_spent) == (usd(200), usd(30 + 20), usd(30 + 20))
    assert status.expired == usd(200) - usd(50)  # 150 forfeited
    assert status.remaining == 0 and status.rolled_over == 0
    assert status.days_left == 0.0 and status.elapsed_fraction == 1.0 and status.projected_runout is None


def test_closed_month_with_a_rollover_cap() -> None:
    status = closed_status(monthly(rollover=RolloverPolicy(cap=usd(40))), [], SPEND, (NOV, DEC))
    # October spent nothing: min(200, 40) = 40 came in; it expires with the month but is carried
    # value, so it is used first and took the first $40 of the $50.
    rollover_in = kinds(status)[GrantKind.ROLLOVER]
    assert rollover_in.grant.amount == usd(40) and rollover_in.consumed == usd(40)
    periodic = kinds(status)[GrantKind.PERIODIC]
    assert periodic.consumed == usd(50 - 40)
    assert periodic.rolled_over == min(usd(200 - 10), usd(40))  # 40 rolled over
    assert periodic.expired == usd(200 - 10) - usd(40)  # 150 forfeited
    assert (status.granted, status.spent, status.rolled_over) == (usd(200 + 40), usd(50), usd(40))
    assert status.expired == usd(200 - 10) - usd(40)
    assert status.granted == status.spent + status.remaining + status.expired + status.rolled_over


def test_uncapped_rollover_carries_the_periodic_grant_not_carried_value() -> None:
    status = closed_status(monthly(rollover=RolloverPolicy()), [], SPEND, (NOV, DEC))
    rollover_in, periodic = kinds(status)[GrantKind.ROLLOVER], kinds(status)[GrantKind.PERIODIC]
    # October's whole 200 came in and took all 50; its other 150 lapses (carried value is never
    # carried twice) and November's untouched 200 is carried whole.
    assert (rollover_in.consumed, rollover_in.expired, rollover_in.rolled_over) == (usd(50), usd(200 - 50), 0)
    assert (periodic.consumed, periodic.rolled_over, periodic.expired) == (0, usd(200), 0)
    assert (status.expired, status.rolled_over) == (usd(200 - 50), usd(200))


def test_a_topup_that_outlives_the_month_is_still_held_at_its_end() -> None:
    topup = Grant("t", "work", GrantKind.TOPUP, usd(25), datetime(2026, 11, 25, tzinfo=UTC), DEC + timedelta(days=10))
    status = closed_status(monthly(), [topup], SPEND, (NOV, DEC))
    assert kinds(status)[GrantKind.TOPUP].remaining == usd(25)  # spend came before it arrived
    assert (status.granted, status.remaining, status.expired) == (usd(200 + 25), usd(25), usd(200 - 50))


def test_the_status_at_exactly_a_period_start_has_its_grants() -> None:
    status = compute_status(monthly(), [], SPEND, DEC)
    assert (status.period_start, status.period_end) == (DEC, JAN)
    assert [b.grant.kind for b in status.grants] == [GrantKind.PERIODIC]
    assert (status.granted, status.remaining) == (usd(200), usd(200))
    capped = compute_status(monthly(rollover=RolloverPolicy(cap=usd(40))), [], SPEND, DEC)
    assert capped.granted == usd(200) + min(usd(200 - 50), usd(40))
    assert kinds(capped)[GrantKind.ROLLOVER].grant.granted_at == DEC


def test_the_status_at_the_first_instant_of_an_allowance_has_its_grant() -> None:
    allowance = monthly(starts_at=NOV)
    assert compute_status(allowance, [], [], NOV).remaining == usd(200)
    one_off = monthly(starts_at=NOV, cadence=Cadence.ONE_OFF, ends_at=DEC, amount=usd(300))
    assert compute_status(one_off, [], [], NOV).remaining == usd(300)


def test_spend_at_exactly_the_boundary_belongs_to_the_new_period() -> None:
    spend = [*SPEND, SpendPoint(DEC, usd(10))]
    december = compute_status(monthly(), [], spend, DEC)
    assert (december.spent, december.remaining, december.period_spent) == (usd(10), usd(200 - 10), usd(10))
    november = closed_status(monthly(), [], spend, (NOV, DEC))
    assert (november.spent, november.expired) == (usd(50), usd(200 - 50))


def test_a_grant_made_at_the_end_belongs_to_the_next_period() -> None:
    cut = Grant("adj", "work", GrantKind.ADJUSTMENT, -usd(30), DEC)
    november = closed_status(monthly(), [cut], SPEND, (NOV, DEC))
    assert november.expired == usd(200 - 50) and "adj" not in {b.grant.id for b in november.grants}


def test_plans_give_the_last_instant_a_segment_of_its_own() -> None:
    assert plan(monthly(), [], DEC)[-2:] == [DEC, DEC]
    marks = closed_plan(monthly(), [], (NOV, DEC))
    assert marks[-2:] == [DEC, DEC] and NOV in marks and DEC - timedelta(days=7) in marks


# The ledger, the report and the budget gate -------------------------------------------------


def _ledger(db: Database, allowance: Allowance) -> Database:
    at = datetime(2026, 10, 1, tzinfo=UTC)
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="work key"), at=at)
    allowances.add(db, allowance, at=at)
    rows = [
        UsageRecord(
            account_id="oa",
            source=Source.API_COST,
            key=f"k{i}",
            bucket_start=p.at,
            bucket_end=p.at + timedelta(hours=1),
            provider="openai",
            model="gpt-5",
            cost_micros=p.amount,
        )
        for i, p in enumerate([*SPEND, SpendPoint(DEC, usd(10))])  # the last one is December's first hour
    ]
    with db.atomic():
        usage.upsert(db, rows, recorded_at=at)
    return db


def test_ledger_closed_status_leaves_the_next_periods_first_hour_out(db: Database) -> None:
    allowance = monthly(rollover=RolloverPolicy(cap=usd(40)))
    ledger = _ledger(db, allowance)
    november = closed_period_status(ledger, allowance, NOV, DEC)
    assert (november.period_spent, november.rolled_over) == (usd(50), usd(40))
    assert november.expired == usd(200 - 10) - usd(40)
    at_start = allowance_status(ledger, allowance, DEC)
    assert at_start.granted == usd(200 + 40) and at_start.spent == usd(10)  # the row stamped 00:00:00 counts
    assert at_start.remaining == usd(200 + 40) - usd(10)


@pytest.mark.parametrize(
    ("rollover", "forfeited", "rollover_out"),
    [
        (None, usd(200) - usd(50), 0),  # 200 - 50 = 150 forfeited
        (RolloverPolicy(cap=usd(40)), usd(200 - 10) - usd(40), usd(40)),  # min(190, 40) = 40 out, 150 forfeited
    ],
)
def test_report_of_a_closed_month(
    db: Database, rollover: RolloverPolicy | None, forfeited: int, rollover_out: int
) -> None:
    ledger = _ledger(db, monthly(rollover=rollover))
    report = build_report(ledger, "2026-11", Settings(timezone="UTC"), REPORT_DAY)
    (line,) = report.allowances
    assert line.spent == usd(50)
    assert (line.expired_unspent, line.rollover_out) == (forfeited, rollover_out)
    assert report.compensation.forfeited_micros == forfeited


def test_report_of_a_closed_month_the_finding_as_stated(db: Database) -> None:
    """No rollover in October either: $200 granted, $50 spent, the rest lapses or rolls over."""
    ledger = _ledger(db, monthly(starts_at=NOV, rollover=RolloverPolicy(cap=usd(40))))
    (line,) = build_report(ledger, "2026-11", Settings(timezone="UTC"), REPORT_DAY).allowances
    assert (line.granted, line.rollover_in, line.spent) == (usd(200), 0, usd(50))
    assert line.rollover_out == min(usd(200 - 50), usd(40))  # 40
    assert line.expired_unspent == usd(200 - 50) - usd(40)  # 110


def run_cli(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def test_budget_check_at_exactly_a_period_start(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FixedClock(datetime(2026, 11, 1, 8, tzinfo=UTC))
    original = AppContext.create.__func__  # type: ignore[attr-defined]

    def create(cls: type[AppContext], home: str | None = None, clock_: Any = None) -> AppContext:
        return original(cls, home, clock=clock)  # type: ignore[no-any-return]

    monkeypatch.setattr(AppContext, "create", classmethod(create))
    assert run_cli(home, "allowance", "add", "work", "--amount", "200", "--timezone", "UTC").exit_code == 0
    clock.set(datetime(2026, 11, 15, tzinfo=UTC))
    added = run_cli(home, "usage", "add", "--amount", "50", "--provider", "openai", "--at", "2026-11-10T12:00")
    assert added.exit_code == 0, added.output
    clock.set(DEC)
    result = run_cli(home, "budget", "check", "--amount", "150.01", "--json")
    assert result.exit_code == 0, result.output
    (check,) = json.loads(result.stdout)["checks"]
    assert check["remaining"] == usd(200) and check["period_end"] == "2027-01-01T00:00:00Z"
    clock.set(DEC - timedelta(seconds=1))
    assert run_cli(home, "budget", "check", "--amount", "150.01").exit_code == 1  # 200 - 50 = 150 left in November
