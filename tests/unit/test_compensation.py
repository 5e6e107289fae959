"""The allowance as pay: standing value, the year so far, the projection, shares of pay, vesting; hand arithmetic."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tokenwallet.app import AppContext
from tokenwallet.budget.compensation import projected_consumption, share_of_pay, standing_value
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, Scope, Unit
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.settings import Settings

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def test_standing_value_per_month_and_year() -> None:
    assert standing_value(usd(200), Cadence.MONTHLY) == (usd(200), usd(200) * 12)
    assert standing_value(usd(600), Cadence.QUARTERLY) == (usd(600) * 4 // 12, usd(600) * 4)
    assert standing_value(usd(50), Cadence.WEEKLY) == (usd("216.666667"), usd(50) * 52)  # 2,600 / 12, half-even
    assert standing_value(usd(10), Cadence.DAILY) == (usd("304.166667"), usd(10) * 365)
    assert standing_value(usd(1000), Cadence.ONE_OFF) == (0, 0)


def test_projection_never_spends_more_than_a_grant_holds() -> None:
    # $5/day: 15.5 days left of a period holding $140 -> $77.50; then a $200 month of 31 days -> $155.
    assert projected_consumption(usd(290), usd(140), 5_000_000, 15.5, [(usd(200), 31)]) == usd(290 + 77.5 + 155)
    # $10/day: the current period is capped at what remains ($140), the next month at its grant ($200).
    assert projected_consumption(usd(290), usd(140), 10_000_000, 15.5, [(usd(200), 31)]) == usd(290 + 140 + 200)
    assert projected_consumption(usd(1), 0, 0.0, 10, [(usd(200), 31)]) == usd(1)


def test_share_of_pay() -> None:
    assert share_of_pay(usd(200), usd(5000)) == Decimal("0.0400")
    assert share_of_pay(usd(850), usd(5000) * 12) == Decimal("0.0142")  # 0.014166…
    assert share_of_pay(usd(200), 0) is None


def _spend(ctx: AppContext, at: datetime, dollars: str) -> None:
    from tokenwallet.ledger import accounts, usage

    db = ctx.ledger()
    account = accounts.ensure_manual(db, at=at)
    record = UsageRecord(
        account_id=account.id,
        source=Source.MANUAL,
        key=f"{at.isoformat()}:{dollars}",
        bucket_start=at,
        bucket_end=at + timedelta(hours=1),
        provider="openai",
        model="gpt-4.1",
        confidence=Confidence.REPORTED,
        input_tokens=1000,
        cost_micros=usd(dollars),
    )
    with db.atomic():
        usage.upsert(db, [record], recorded_at=at)


@pytest.fixture
def ctx(tmp_path: Path):  # type: ignore[no-untyped-def]
    """$200 a month from 1 Sep 2026 (UTC); a $50 top-up in October; spend $150 in Sep, $80 in Oct, $60 in Nov."""
    from tokenwallet.ledger import allowances

    context = AppContext.create(str(tmp_path / "home"), clock=FixedClock(NOW))
    context.save_settings(Settings(timezone="UTC", pay_amount="5000"))
    start = datetime(2026, 9, 1, tzinfo=UTC)
    db = context.ledger()
    allowances.add(
        db,
        Allowance("work", "Work", Unit.USD, usd(200), Cadence.MONTHLY, start, timezone="UTC", scope=Scope()),
        at=start,
    )
    october = datetime(2026, 10, 10, tzinfo=UTC)
    allowances.add_grant(
        db, Grant("t1", "work", GrantKind.TOPUP, usd(50), october, datetime(2026, 11, 1, tzinfo=UTC)), at=october
    )
    _spend(context, datetime(2026, 9, 10, 9, tzinfo=UTC), "150")
    _spend(context, datetime(2026, 10, 20, 9, tzinfo=UTC), "80")
    _spend(context, datetime(2026, 11, 3, 9, tzinfo=UTC), "25")  # before the 7-day burn window
    _spend(context, datetime(2026, 11, 12, 9, tzinfo=UTC), "35")  # in it: $35 / 7 days = $5 a day
    yield context
    context.shutdown()


def test_year_so_far_and_projection(ctx: AppContext) -> None:
    from tokenwallet.services.compensation import compensation

    view = compensation(ctx)
    [line] = view.lines
    assert view.year == 2026
    assert (line.per_month, line.per_year) == (usd(200), usd(200 * 12))
    assert line.year_granted == usd(200 * 3 + 50)  # September, October, November and the top-up
    assert line.year_consumed == usd(150 + 80 + 25 + 35)
    assert line.year_overspent == 0
    assert line.year_forfeited == usd((200 - 150) + (200 + 50 - 80))  # September's rest, October's rest
    assert line.remaining == usd(200 - 25 - 35)
    # $5 a day: 15.5 days to 1 Dec ($77.50, within the $140 left), then December's 31 days ($155 of $200).
    assert line.projected_consumed == usd(290 + 77.5 + 155)
    assert line.projected_value == usd(650 + 200)
    assert line.projected_unspent == usd(850 - 522.5)
    assert (line.vested, line.unvested, line.payable) == (0, 0, 0)
    assert line.forfeitable == line.remaining  # no policy says it can be paid out
    assert view.share_of_monthly_pay == Decimal(200) / Decimal(5000)
    assert view.share_of_yearly_pay == Decimal("0.0142")  # 850 / (5000 × 12)


def test_pay_in_another_currency_is_converted_at_the_rate(ctx: AppContext) -> None:
    from tokenwallet.services.compensation import compensation

    ctx.save_settings(Settings(timezone="UTC", display_currency="INR", currency_rate="83", pay_amount="415000"))
    view = compensation(ctx)
    assert view.pay is not None and view.pay.per_month() == usd(415000 / 83)
    assert view.share_of_monthly_pay == Decimal("0.0400")  # 200 / 5000, the same share in any currency


def test_a_yearly_pay_in_usd_with_another_display_currency_is_not_converted(ctx: AppContext) -> None:
    from tokenwallet.services.compensation import compensation

    ctx.save_settings(
        Settings(
            timezone="UTC",
            display_currency="INR",
            currency_rate="83",
            pay_amount="60000",
            pay_currency="USD",
            pay_period="yearly",
        )
    )
    view = compensation(ctx)
    assert view.pay is not None
    assert (view.pay.per_month(), view.pay.per_year()) == (usd(60000 / 12), usd(60000))
    assert view.share_of_monthly_pay == Decimal("0.0400")  # 200 / (60000 / 12)


def test_spend_over_the_allowance_is_counted_apart(ctx: AppContext) -> None:
    from tokenwallet.services.compensation import compensation

    _spend(ctx, datetime(2026, 9, 20, 9, tzinfo=UTC), "80")  # September: $230 of $200
    [line] = compensation(ctx).lines
    assert line.year_consumed == usd(230 + 80 + 60)
    assert line.year_overspent == usd(230 - 200)
    assert line.year_forfeited == usd(0 + (250 - 80))  # September lapsed nothing


def test_a_past_month_is_valued_at_its_end(ctx: AppContext) -> None:
    from tokenwallet.services.compensation import compensation

    [line] = compensation(ctx, datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)).lines
    assert line.year_granted == usd(200 * 2 + 50)
    assert line.year_consumed == usd(150 + 80)
    assert line.year_forfeited == usd(200 - 150)  # October's grants lapse at the next instant


def test_report_carries_the_compensation_lines(ctx: AppContext) -> None:
    from tokenwallet.services import reports

    report = reports.build(ctx, "2026-11")
    c = report.compensation
    assert c.year == 2026 and [line.name for line in c.lines] == ["Work"]
    assert c.share_of_year_pay == Decimal("0.0142")
    data = json.loads(reports.render(report, "json"))["compensation"]
    assert data["consumed_micros"] == usd(60)  # the month's own figures are unchanged
    assert data["year_totals"]["year_consumed"] == usd(290)
    assert data["year_totals"]["projected_unspent"] == usd(850 - 522.5)
    assert data["lines"][0]["projected_unspent"] == usd(327.5)
    assert data["share_of_year_pay"] == "0.0142"
    rows = list(csv.DictReader(io.StringIO(reports.render(report, "csv", table="compensation").decode())))
    assert [r["allowance"] for r in rows] == ["Work", "total"]
    work, total = rows
    assert work["per_year_usd"] == "2400.000000"
    assert work["month_value_usd"] == "200.000000" and work["month_consumed_usd"] == "60.000000"
    assert work["year_forfeited_usd"] == "220.000000"
    assert work["projected_year_unspent_usd"] == "327.500000"
    assert total["share_of_monthly_pay"] == "0.0400"


def test_policy_vesting_and_terms(tmp_path: Path) -> None:
    from tokenwallet.services.compensation import compensation
    from tokenwallet.services.policy import apply_import, plan_import, read_file

    context = AppContext.create(str(tmp_path / "home"), clock=FixedClock(NOW))
    try:
        context.save_settings(Settings(timezone="Asia/Kolkata"))
        path = str(ROOT / "resources" / "examples" / "example-corp-policy.toml")
        apply_import(context, plan_import(context, read_file(path), path))
        [line] = compensation(context).lines  # the token allowance has no money value
        assert line.name == "AI compute" and line.policy_id == "ai-compute"
        assert (line.vested, line.unvested) == (usd(500), usd(6000 - 500))  # one instalment of 12 by 15 Nov
        assert line.payable == 0 and line.forfeitable == line.remaining  # cash_value = false
        assert any("vests in 12 monthly instalments" in t for t in line.terms)
    finally:
        context.shutdown()
