"""The record types of the domain, ledger, alerts and services: frozen values with field-wise equality.

They are ``msgspec.Struct`` types (created in C, far cheaper to define than dataclasses, which the
short commands feel); these pin down the behaviour callers rely on.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from tokenwallet.alerts.rules import ProviderParams, Rule, Signal, ThresholdParams, from_stored, to_stored
from tokenwallet.budget.grants import Replay
from tokenwallet.domain.accounts import NO_FILTERS, Account, AccountFilters, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, Scope, Unit
from tokenwallet.domain.usage import Source, UsageRecord

AT = datetime(2026, 3, 1, tzinfo=UTC)


def _grant(**changes: object) -> Grant:
    values: dict[str, object] = {
        "id": "g",
        "allowance_id": "a",
        "kind": GrantKind.TOPUP,
        "amount": 5,
        "granted_at": AT,
    }
    return Grant(**(values | changes))  # type: ignore[arg-type]


def test_frozen_records_refuse_assignment_and_hash_by_value() -> None:
    grant = _grant()
    with pytest.raises(AttributeError):
        grant.amount = 6  # type: ignore[misc]
    assert grant == _grant() and hash(grant) == hash(_grant())
    assert grant != _grant(amount=6)
    assert len({grant, _grant(), _grant(note="x")}) == 2


def test_positional_fields_defaults_and_repr_follow_the_declared_order() -> None:
    grant = Grant("g", "a", GrantKind.TOPUP, 5, AT)
    assert grant == _grant() and grant.expires_at is None and grant.note == ""
    assert repr(Scope()) == "Scope(accounts=(), providers=(), models=())"
    allowance = Allowance("a", "Work", Unit.USD, 100, Cadence.MONTHLY, AT)
    assert allowance.scope == Scope() and allowance.timezone == "UTC"


def test_mutable_defaults_are_not_shared() -> None:
    one, two = Replay(), Replay()
    one.balances.append(None)  # type: ignore[arg-type]
    assert two.balances == [] and Account("x", AccountKind.MANUAL, "x").config == {}
    assert Account("x", AccountKind.MANUAL, "x").filters is NO_FILTERS


def test_account_filters_are_kept_sorted_and_unique() -> None:
    filters = AccountFilters(project_ids=("p2", "p1", "p2"), user_emails=("b@x", "a@x"))
    assert filters.project_ids == ("p1", "p2") and filters.user_emails == ("a@x", "b@x")
    assert filters == AccountFilters(project_ids=("p1", "p2"), user_emails=("a@x", "b@x"))
    assert not AccountFilters() and filters
    assert AccountFilters.from_pairs([("project_id", "p2"), ("project_id", "p1")]).project_ids == ("p1", "p2")


def test_replace_copies_with_changes() -> None:
    record = UsageRecord("acct", Source.MANUAL, "k", AT, AT, "openai", input_tokens=3)
    changed = record.replace(model="gpt", output_tokens=2)
    assert type(changed) is UsageRecord and changed.model == "gpt" and changed.total_tokens == 5
    assert record.model == "" and msgspec.structs.replace(changed, model="") == record.replace(output_tokens=2)


def test_rule_params_round_trip_through_the_stored_row() -> None:
    rule = Rule("r-1", ProviderParams(Signal.CODEX_WEEKLY, 80.0, "acct"), None, True, True)
    assert rule.describe() == "provider signal=codex_weekly percent=80.0 account_id=acct"
    stored = to_stored(rule, AT)
    assert stored.params == {
        "signal": Signal.CODEX_WEEKLY,
        "percent": 80.0,
        "account_id": "acct",
        "notify_recovery": True,
    }
    assert from_stored(stored) == rule
    threshold = Rule("r-2", ThresholdParams(percent=80.0), "a")
    assert to_stored(threshold, AT).params == {"percent": 80.0}
    assert from_stored(to_stored(threshold, AT)) == threshold
