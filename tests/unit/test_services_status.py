"""services.status, services.budget_check and services.snapshot: figures, and stored values out of bounds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.service_context import memory_context
from tokenwallet.app import AppContext
from tokenwallet.domain.allowance import Allowance, Cadence, RolloverPolicy, Unit
from tokenwallet.domain.errors import StoredValueError, UserInputError
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.ledger import accounts, allowances
from tokenwallet.ledger import alerts as store
from tokenwallet.ledger import usage as usage_rows
from tokenwallet.services import alert_rules, budget_check, snapshot, status
from tokenwallet.services.allowances import add_allowance
from tokenwallet.services.usage import add_spend

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = memory_context(tmp_path, NOW)
    yield context
    context.close()


def _store_raw(ctx: AppContext, allowance: Allowance) -> None:
    """Store an allowance the way an older version could, without the services' checks."""
    allowances.add(ctx.ledger(), allowance, at=NOW)


def _far(name: str = "far", **changes: object) -> Allowance:
    fields: dict[str, object] = {
        "id": allowances.new_id(),
        "name": name,
        "unit": Unit.USD,
        "amount": 5_000_000,
        "cadence": Cadence.MONTHLY,
        "starts_at": datetime(9999, 12, 31, tzinfo=UTC),
        "timezone": "UTC",
        "created_at": NOW,
    }
    return Allowance(**{**fields, **changes})  # type: ignore[arg-type]


def test_status_report_has_the_figures_of_every_allowance(ctx: AppContext) -> None:
    add_allowance(ctx, name="work", amount="20")
    add_allowance(ctx, name="tok", amount="1000", unit="tokens")
    add_spend(ctx, provider="openai", amount="15", tokens="250")
    report = status.status_report(ctx)
    assert report.generated_at == NOW and report.left_out == ()
    by_name = {f.allowance.name: f.status for f in report.allowances}
    assert by_name["work"].spent == 15_000_000 and by_name["work"].remaining == (20 - 15) * 1_000_000
    assert by_name["tok"].spent == 250 and by_name["tok"].remaining == 1000 - 250
    assert [a.id for a in report.accounts] == [accounts.MANUAL_ACCOUNT_ID]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({}, "starts on 9999-12-31"),
        ({"starts_at": NOW, "rollover": RolloverPolicy(expires_days=99_999_999_999)}, "99,999,999,999 days"),
        ({"starts_at": NOW, "anchor_day": 31}, "day 31"),
        ({"starts_at": NOW, "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"starts_at": NOW, "amount": 2**62}, "beyond the limits"),
    ],
)
def test_an_allowance_stored_out_of_bounds_is_left_out_with_a_reason(
    ctx: AppContext, changes: dict[str, object], words: str
) -> None:
    add_allowance(ctx, name="work", amount="20")
    _store_raw(ctx, _far(**changes))
    report = status.status_report(ctx)
    assert [f.allowance.name for f in report.allowances] == ["work"]
    [reason] = report.left_out
    assert "'far'" in reason and words in reason
    with pytest.raises(StoredValueError, match=words):
        status.allowance_figures(ctx, "far")
    picture = snapshot.load_snapshot(ctx, NOW)
    assert [v.allowance.name for v in picture.allowances] == ["work"] and picture.problems == (reason,)


def test_usage_that_overflows_a_sum_is_named_not_a_crash(ctx: AppContext) -> None:
    add_allowance(ctx, name="tok", amount="1000", unit="tokens")
    db = ctx.ledger()
    accounts.ensure_manual(db, at=NOW)
    huge = [
        UsageRecord(
            account_id=accounts.MANUAL_ACCOUNT_ID,
            source=Source.MANUAL,
            key=f"old-{i}",
            bucket_start=NOW,  # this second is read row by row, where SQLite's SUM overflows
            bucket_end=NOW,
            provider="openai",
            confidence=Confidence.REPORTED,
            input_tokens=2**63 - 1,  # what `usage add --tokens 9223372036854775807` stored before the bounds
        )
        for i in range(2)
    ]
    usage_rows.upsert(db, huge, recorded_at=NOW)
    report = status.status_report(ctx)
    assert report.allowances == ()
    assert "'tok'" in report.left_out[0] and "out of range" in report.left_out[0]
    picture = snapshot.load_snapshot(ctx, NOW)
    assert picture.models == () and any("per model" in p for p in picture.problems)


def test_budget_check_answers_with_the_remaining_value(ctx: AppContext) -> None:
    add_allowance(ctx, name="work", amount="20")
    add_spend(ctx, provider="openai", amount="15")
    fits = budget_check.check_budget(ctx, "4.99")
    assert fits.fits and fits.checked_at == NOW
    short = budget_check.check_budget(ctx, "5.01")
    [check] = short.checks
    assert not short.fits and check.shortfall == 5_010_000 - (20 - 15) * 1_000_000
    with pytest.raises(UserInputError) as caught:
        budget_check.check_budget(ctx, "1e22")
    assert caught.value.field == "amount"


def test_budget_check_needs_a_usd_allowance_and_refuses_to_guess(ctx: AppContext) -> None:
    with pytest.raises(UserInputError, match="no usd allowance"):
        budget_check.check_budget(ctx, "1")
    add_allowance(ctx, name="work", amount="20")
    _store_raw(ctx, _far())
    with pytest.raises(StoredValueError, match="'far'"):
        budget_check.check_budget(ctx, "1")
    assert budget_check.check_budget(ctx, "1", "work").fits


def test_alerts_skip_what_is_stored_out_of_bounds_and_fire_the_rest(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    add_allowance(ctx, name="work", amount="100", default_alerts=False)
    _store_raw(ctx, _far())
    [threshold] = alert_rules.add_rules(ctx, alert_rules.RuleRequest(allowance="work", percent=50.0))
    far = allowances.find(ctx.ledger(), "far")
    db = ctx.ledger()
    with db.atomic():  # rules as an older version could store them
        store.add_rule(db, store.StoredRule("r-far", "threshold", far.id, {"percent": 10.0}, True, NOW))
        store.add_rule(db, store.StoredRule("r-huge", "expiry", None, {"days_before": 1e308}, True, NOW))
        store.add_rule(db, store.StoredRule("r-long", "spike", far.id, {"trailing_days": 10**14}, True, NOW))
    add_spend(ctx, provider="openai", amount="60")
    fired = alert_rules.check_alerts(ctx, notify=False)
    assert [e.rule_id for e in fired] == [threshold.rule.id]
    warnings = caplog.text
    assert "r-huge is skipped" in warnings and "r-long is skipped" in warnings and "'far'" in warnings
