"""services.allowances: add, edit, change, top up, adjust and remove, in domain words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.service_context import memory_context
from tokenwallet.app import AppContext
from tokenwallet.domain.allowance import Cadence, GrantKind, Unit
from tokenwallet.domain.errors import NotFoundError, UserInputError
from tokenwallet.ledger import accounts, allowances, audit
from tokenwallet.services import allowances as service
from tokenwallet.services.grants import add_topup, adjust_allowance

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
DEFAULTS = ["alert_rule.add"] * 5
"""The audit entries of the default alert rules every new allowance gets."""


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = memory_context(tmp_path, NOW, timezone="Europe/Berlin")
    yield context
    context.close()


def test_add_covers_the_current_period_in_the_users_zone(ctx: AppContext) -> None:
    added = service.add_allowance(ctx, name=" work ", amount="$1,250.50", rollover_cap="40")
    assert added.name == "work"
    assert added.amount == 1_250_500_000 and added.unit is Unit.USD
    assert added.timezone == "Europe/Berlin"
    # November starts at local midnight in Berlin, which is 23:00 UTC the day before
    assert added.starts_at == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert added.rollover is not None and added.rollover.cap == 40_000_000
    # the five default alert rules are added and audited with the allowance (see the test below)
    assert [e.action for e in audit.entries(ctx.ledger())] == ["allowance.add"] + ["alert_rule.add"] * 5


def test_build_writes_nothing(ctx: AppContext) -> None:
    draft = service.build_allowance(ctx, name="w", amount="5", cadence="weekly", anchor_day=3)
    assert draft.cadence is Cadence.WEEKLY and draft.anchor_day == 3
    assert allowances.list_allowances(ctx.ledger()) == []


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"name": " "}, "name", "needs a name"),
        ({"amount": "lots"}, "amount", "is not a number"),
        ({"amount": "1e22"}, "amount", "limited to $1,000,000,000,000"),
        ({"amount": "9223372036855"}, "amount", "too large"),
        ({"amount": "1e30", "unit": "tokens"}, "amount", "2^53"),
        ({"unit": "euros"}, "unit", "Unknown unit"),
        ({"cadence": "fortnightly"}, "cadence", "Unknown cadence"),
        ({"anchor_day": 31}, "anchor_day", "anchor day 31"),
        ({"anchor_day": 8, "cadence": "weekly"}, "anchor_day", "not a weekday"),
        ({"anchor_day": 2, "cadence": "daily"}, "anchor_day", "does not apply"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone 'Mars/Olympus'"),
        ({"starts": "9999-12-31"}, "starts", "use a date from 1970 to 2199"),
        ({"starts": "0001-01-01"}, "starts", "out of range"),
        ({"ends": "9999-12-31"}, "ends", "out of range"),
        ({"cadence": "one-off"}, "ends", "needs an end date"),
        ({"ends": "2026-01-01"}, "ends", "must be after the start"),
        ({"rollover_expires_days": 99_999_999_999}, "rollover_expires_days", "ten years"),
        ({"rollover_expires_days": 0}, "rollover_expires_days", "above 0"),
        ({"rollover_cap": "1e22"}, "rollover_cap", "too large"),
        ({"rollover": True, "cadence": "one-off", "ends": "2026-12-01"}, "rollover", "one-off"),
        ({"scope": ("nope",)}, "scope", "nope"),
        ({"backing_account": "nope"}, "backing_account", "nope"),
    ],
)
def test_refusals_name_the_input_in_domain_words(
    ctx: AppContext, options: dict[str, object], field: str, words: str
) -> None:
    arguments: dict[str, object] = {"name": "w", "amount": "5", **options}
    with pytest.raises(UserInputError) as caught:
        service.add_allowance(ctx, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert words in str(caught.value)
    assert "--" not in str(caught.value)  # no command-line flags outside cli/
    assert allowances.list_allowances(ctx.ledger()) == []
    assert audit.entries(ctx.ledger()) == []


def test_edit_replaces_the_definition_and_keeps_id_start_and_zone(ctx: AppContext) -> None:
    before = service.add_allowance(ctx, name="work", amount="200", rollover=True, rollover_expires_days=10)
    edited = service.edit_allowance(
        ctx,
        before.id,
        name="job",
        amount="250",
        unit="usd",
        cadence="monthly",
        anchor_day=5,
        rollover=True,
        rollover_cap=None,
        scope=(),
    )
    assert (edited.id, edited.starts_at, edited.timezone) == (before.id, before.starts_at, before.timezone)
    assert (edited.name, edited.amount, edited.anchor_day) == ("job", 250_000_000, 5)
    assert edited.rollover is not None and edited.rollover.cap is None and edited.rollover.expires_days == 10
    assert [e.action for e in audit.entries(ctx.ledger())] == ["allowance.add", *DEFAULTS, "allowance.update"]


def test_change_keeps_what_is_not_given(ctx: AppContext) -> None:
    service.add_allowance(ctx, name="work", amount="200", anchor_day=15, rollover_cap="40")
    changed = service.change_allowance(ctx, "work", amount="250.5")
    assert changed.amount == 250_500_000 and changed.anchor_day == 15
    assert changed.rollover is not None and changed.rollover.cap == 40_000_000
    # a new cadence whose periods cannot start on day 15 falls back to its default anchor
    weekly = service.change_allowance(ctx, "work", cadence="weekly")
    assert (weekly.cadence, weekly.anchor_day) == (Cadence.WEEKLY, 1)
    dropped = service.change_allowance(ctx, "work", rollover=False)
    assert dropped.rollover is None


def test_change_refuses_out_of_range_and_keeps_the_allowance(ctx: AppContext) -> None:
    before = service.add_allowance(ctx, name="work", amount="200")
    with pytest.raises(UserInputError) as caught:
        service.change_allowance(ctx, "work", amount="1e22")
    assert caught.value.field == "amount"
    assert service.find_allowance(ctx, "work") == before


def test_topup_reads_dates_in_the_allowance_zone(ctx: AppContext) -> None:
    service.add_allowance(ctx, name="work", amount="200")
    grant = add_topup(ctx, "work", amount="50", expires="2026-11-30", at="2026-11-02", note=" bonus ")
    assert grant.kind is GrantKind.TOPUP and grant.amount == 50_000_000 and grant.note == "bonus"
    # a bare expiry date lasts through that day: local midnight after it, in Berlin (UTC+1)
    assert grant.expires_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert grant.granted_at == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)
    dialog = add_topup(ctx, "work", amount="5", expires=NOW + timedelta(days=3))
    assert dialog.expires_at == NOW + timedelta(days=3) and dialog.granted_at == NOW


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"amount": "0"}, "amount", "must be positive"),
        ({"amount": "1e22"}, "amount", "too large"),
        ({"at": "0001-01-01"}, "at", "out of range"),
        ({"at": "9999-12-31T23:59:59-05:00"}, "at", "out of range"),
        ({"expires": "soon"}, "expires", "is not a date"),
        ({"expires": "2026-01-01"}, "expires", "before it is granted"),
        ({"expires": datetime(2300, 1, 1, tzinfo=UTC)}, "expires", "1970 to 2199"),
    ],
)
def test_topup_refusals(ctx: AppContext, options: dict[str, object], field: str, words: str) -> None:
    service.add_allowance(ctx, name="work", amount="200")
    arguments: dict[str, object] = {"amount": "5", **options}
    with pytest.raises(UserInputError) as caught:
        add_topup(ctx, "work", **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field and words in str(caught.value)
    assert allowances.grants_for(ctx.ledger(), service.find_allowance(ctx, "work").id) == []


def test_adjust_may_withdraw_but_a_withdrawal_has_no_expiry(ctx: AppContext) -> None:
    work = service.add_allowance(ctx, name="work", amount="200")
    grant = adjust_allowance(ctx, "work", amount="-2.5", note="refund")
    assert grant.kind is GrantKind.ADJUSTMENT and grant.amount == -2_500_000
    with pytest.raises(UserInputError) as caught:
        adjust_allowance(ctx, "work", amount="-5", expires="2026-12-01")
    assert caught.value.field == "expires" and "only to added value" in str(caught.value)
    with pytest.raises(UserInputError, match="too large"):
        adjust_allowance(ctx, "work", amount="-1e22")
    assert len(allowances.grants_for(ctx.ledger(), work.id)) == 1


def test_remove_returns_the_definition_and_audits(ctx: AppContext) -> None:
    added = service.add_allowance(ctx, name="work", amount="200")
    assert service.remove_allowance(ctx, "work") == added
    assert service.list_allowances(ctx) == []
    with pytest.raises(NotFoundError):
        service.remove_allowance(ctx, "work")
    assert [e.action for e in audit.entries(ctx.ledger())] == ["allowance.add", *DEFAULTS, "allowance.remove"]


def test_scope_must_name_known_accounts(ctx: AppContext) -> None:
    accounts.ensure_manual(ctx.ledger(), at=NOW)
    added = service.add_allowance(ctx, name="work", amount="200", scope=("manual",))
    assert added.scope.accounts == ("manual",)


def test_amount_text_is_what_a_person_would_type() -> None:
    assert service.amount_text(250_500_000, Unit.USD) == "250.5"
    assert service.amount_text(1_000_000, Unit.TOKENS) == "1000000"


def test_a_new_allowance_gets_the_default_alert_rules_in_the_same_transaction(ctx: AppContext) -> None:
    from tokenwallet.alerts.rules import ExpiryParams, ForecastParams, ThresholdParams
    from tokenwallet.services.alert_rules import list_rules

    added = service.add_allowance(ctx, name="work", amount="200")
    views = list_rules(ctx)
    assert [v.rule.params for v in views] == [
        ThresholdParams(percent=80.0),
        ThresholdParams(percent=95.0),
        ThresholdParams(percent=100.0),
        ForecastParams(margin_days=0.0),
        ExpiryParams(days_before=3.0, min_unspent=1),
    ]
    assert {v.rule.allowance_id for v in views} == {added.id}
    entries = audit.entries(ctx.ledger())[1:]
    assert [(e.action, e.entity_id, e.details["default"]) for e in entries] == [
        ("alert_rule.add", v.rule.id, True) for v in views
    ]
    service.add_allowance(ctx, name="quiet", amount="200", default_alerts=False)
    assert len(list_rules(ctx)) == len(views)
    # a refused allowance leaves neither an allowance nor rules behind
    with pytest.raises(UserInputError):
        service.add_allowance(ctx, name="work", amount="200")
    assert len(list_rules(ctx)) == len(views) and len(service.list_allowances(ctx)) == 2
    service.remove_allowance(ctx, "work")
    assert list_rules(ctx) == []  # the rules go with their allowance
