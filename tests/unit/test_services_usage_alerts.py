"""services.usage and services.alert_rules over an in-memory ledger with a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.service_context import memory_context
from tokenwallet.alerts.rules import ExpiryParams, ForecastParams, SpikeParams, ThresholdParams
from tokenwallet.app import AppContext
from tokenwallet.domain.errors import NotFoundError, UserInputError
from tokenwallet.domain.usage import Confidence, Source
from tokenwallet.ledger import audit
from tokenwallet.ledger import usage as usage_rows
from tokenwallet.services import alert_rules, usage
from tokenwallet.services.allowances import add_allowance

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = memory_context(tmp_path, NOW, timezone="Asia/Kolkata")
    yield context
    context.close()


def test_add_spend_records_a_manual_row_with_an_audit_entry(ctx: AppContext) -> None:
    record = usage.add_spend(
        ctx, provider=" OpenAI ", amount="12.50", tokens="1,200", model="gpt-5", at="2026-11-14T10:00", note="web"
    )
    assert (record.account_id, record.source, record.provider) == ("manual", Source.MANUAL, "openai")
    assert record.cost_micros == 12_500_000 and record.input_tokens == 1200
    # a naive time is read in the user's zone: 10:00 in Kolkata is 04:30 UTC
    assert record.bucket_start == datetime(2026, 11, 14, 4, 30, tzinfo=UTC)
    assert record.confidence is Confidence.REPORTED
    stored = usage_rows.list_records(ctx.ledger())
    assert [(r.key, r.cost_micros) for r in stored] == [(record.key, 12_500_000)]
    # the first manual spend also creates the manual account
    assert [e.action for e in audit.entries(ctx.ledger())] == ["account.add", "usage.add"]


def test_add_spend_defaults_to_now_and_marks_estimates(ctx: AppContext) -> None:
    record = usage.add_spend(ctx, provider="anthropic", tokens="2500", estimated=True)
    assert record.bucket_start == NOW and record.cost_micros is None
    assert record.confidence is Confidence.ESTIMATED


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({}, "amount", "an amount in dollars, a token count, or both"),
        ({"amount": "5", "provider": " "}, "provider", "Name the provider"),
        ({"amount": "-1"}, "amount", "must be positive"),
        ({"amount": "1e22"}, "amount", "too large"),
        ({"tokens": "9223372036854775807"}, "tokens", "2^53"),
        ({"tokens": "1e30"}, "tokens", "2^53"),
        ({"tokens": "1.5"}, "tokens", "whole number"),
        ({"amount": "1", "at": "9999-12-31T23:59:59-05:00"}, "at", "out of range"),
        ({"amount": "1", "at": "1969-12-31T00:00"}, "at", "out of range"),
        ({"amount": "1", "at": "2027-01-01"}, "at", "in the future"),
    ],
)
def test_add_spend_refusals_store_nothing(ctx: AppContext, options: dict[str, str], field: str, words: str) -> None:
    arguments = {"provider": "openai", **options}
    with pytest.raises(UserInputError) as caught:
        usage.add_spend(ctx, **arguments)
    assert caught.value.field == field and words in str(caught.value)
    assert usage_rows.list_records(ctx.ledger()) == [] and audit.entries(ctx.ledger()) == []


def test_list_usage_newest_first_with_filters(ctx: AppContext) -> None:
    for hours, provider in ((3, "openai"), (2, "anthropic"), (1, "openai")):
        usage.add_spend(ctx, provider=provider, amount=str(hours), at=(NOW - timedelta(hours=hours)).isoformat())
    rows = usage.list_usage(ctx)
    assert [r.cost_micros for r in rows] == [1_000_000, 2_000_000, 3_000_000]
    assert [r.provider for r in usage.list_usage(ctx, providers=("openai",), limit=1)] == ["openai"]
    since = (NOW - timedelta(hours=2)).isoformat()
    assert [r.cost_micros for r in usage.list_usage(ctx, since=since)] == [1_000_000, 2_000_000]
    with pytest.raises(UserInputError) as caught:
        usage.list_usage(ctx, until="0001-01-01")
    assert caught.value.field == "until"


def test_add_rules_and_the_defaults(ctx: AppContext) -> None:
    add_allowance(ctx, name="work", amount="100", default_alerts=False)
    added = alert_rules.add_rules(ctx, alert_rules.RuleRequest(allowance="work", defaults=True))
    assert [v.rule.params for v in added] == [
        ThresholdParams(percent=80.0),
        ThresholdParams(percent=95.0),
        ThresholdParams(percent=100.0),
        ForecastParams(margin_days=0.0),
        ExpiryParams(days_before=3.0, min_unspent=1),
    ]
    assert {v.allowance_name for v in added} == {"work"}
    [spike] = alert_rules.add_rules(ctx, alert_rules.RuleRequest(kind="spike", allowance="work", factor=2.5))
    assert spike.rule.params == SpikeParams(factor=2.5, trailing_days=14)
    [expiry] = alert_rules.add_rules(
        ctx, alert_rules.RuleRequest(kind="expiry", allowance="work", days=30, min_unspent="1.5")
    )
    assert expiry.rule.params == ExpiryParams(days_before=30, min_unspent=1_500_000)
    assert len(alert_rules.list_rules(ctx)) == 7


@pytest.mark.parametrize(
    ("request_fields", "field", "words"),
    [
        ({"kind": "expiry", "days": 1e308}, "days", "ten years"),
        ({"kind": "expiry", "days": float("nan")}, "days", "must be a number"),
        ({"kind": "spike", "trailing_days": 99_999_999_999_999}, "trailing_days", "ten years"),
        ({"kind": "spike", "factor": float("inf")}, "factor", "must be a number"),
        ({"kind": "forecast", "margin_days": 1e9}, "margin_days", "ten years"),
        ({"kind": "threshold", "absolute": "1e22"}, "absolute", "too large"),
        ({"kind": "threshold", "percent": -5.0}, "percent", "out of range"),
        ({"kind": "expiry", "min_unspent": "9223372036855"}, "min_unspent", "too large"),
        ({"kind": "stale", "allowance": None, "hours": 1e12}, "hours", "ten years"),
        ({"kind": "provider", "allowance": None}, "signal", "needs a signal"),
        ({"kind": "forecast", "allowance": None}, "allowance", "watches an allowance"),
        ({"kind": "threshold", "allowance": "nope"}, "allowance", "nope"),
        ({"kind": "weather"}, "kind", "Unknown rule kind"),
    ],
)
def test_rule_refusals_add_nothing(ctx: AppContext, request_fields: dict[str, object], field: str, words: str) -> None:
    add_allowance(ctx, name="work", amount="100", default_alerts=False)
    fields: dict[str, object] = {"allowance": "work", **request_fields}
    with pytest.raises(UserInputError) as caught:
        alert_rules.add_rules(ctx, alert_rules.RuleRequest(**fields))  # type: ignore[arg-type]
    assert caught.value.field == field and words in str(caught.value)
    assert alert_rules.list_rules(ctx) == []


def test_snooze_is_bounded_and_shows_in_the_list(ctx: AppContext) -> None:
    add_allowance(ctx, name="work", amount="100", default_alerts=False)
    [view] = alert_rules.add_rules(ctx, alert_rules.RuleRequest(allowance="work", percent=80.0))
    rule_id = view.rule.id
    assert alert_rules.snooze_rule(ctx, rule_id, "12h") == NOW + timedelta(hours=12)
    assert alert_rules.list_rules(ctx)[0].snoozed_until == NOW + timedelta(hours=12)
    with pytest.raises(UserInputError, match="ten years"):
        alert_rules.snooze_rule(ctx, rule_id, "99999999d")
    assert alert_rules.snooze_rule(ctx, rule_id, "3653d") == NOW + timedelta(days=3653)
    assert alert_rules.snooze_rule(ctx, rule_id, "off") is None
    with pytest.raises(NotFoundError):
        alert_rules.snooze_rule(ctx, "r-missing", "1h")


def test_check_history_and_remove(ctx: AppContext) -> None:
    add_allowance(ctx, name="work", amount="100", default_alerts=False)
    alert_rules.add_rules(ctx, alert_rules.RuleRequest(allowance="work", percent=50.0))
    usage.add_spend(ctx, provider="openai", amount="60")
    fired = alert_rules.check_alerts(ctx, notify=False)
    assert len(fired) == 1 and "60%" in fired[0].title + fired[0].message
    assert alert_rules.check_alerts(ctx, notify=False) == []  # once per crossing
    assert [e.id for e in alert_rules.alert_history(ctx)] == [fired[0].id]
    assert alert_rules.alert_history(ctx, since="2026-11-16") == []
    rule_id = alert_rules.list_rules(ctx)[0].rule.id
    alert_rules.remove_rule(ctx, rule_id)
    assert alert_rules.list_rules(ctx) == []
    assert len(alert_rules.alert_history(ctx)) == 1
