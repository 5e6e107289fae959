"""Every number and date a user can send is bounded: exit 2, a clear message, nothing written.

And values an older version stored out of bounds do not crash `status`, `budget check` or
`alerts check`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tokenwallet.app import AppContext
from tokenwallet.cli.root import cli
from tokenwallet.domain.allowance import Allowance, Cadence, RolloverPolicy, Unit
from tokenwallet.domain.clock import FixedClock
from tokenwallet.ledger import alerts as store
from tokenwallet.ledger import allowances, audit
from tokenwallet.ledger.db import open_ledger

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    clock = FixedClock(NOW)
    original = AppContext.create.__func__  # type: ignore[attr-defined]

    def create(cls: type[AppContext], home: str | None = None, clock_: Any = None) -> AppContext:
        return original(cls, home, clock=clock)  # type: ignore[no-any-return]

    monkeypatch.setattr(AppContext, "create", classmethod(create))
    return clock


def run(home: Path, *args: str) -> Result:
    # catch_exceptions=False: a traceback fails the test instead of passing as exit status 1
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def run_json(home: Path, *args: str) -> Any:
    result = run(home, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ledger_state(home: Path) -> tuple[int, Any, Any, Any]:
    """What a refusal must leave unchanged: the audit log, allowances, usage and alert rules."""
    db = open_ledger(home / "data" / "ledger.db")
    try:
        entries = len(audit.entries(db))
    finally:
        db.close()
    return (
        entries,
        run_json(home, "allowance", "list"),
        run_json(home, "usage", "list"),
        run_json(home, "alerts", "list"),
    )


@pytest.fixture
def seeded(home: Path) -> Path:
    """A home with a usd allowance ``existing``, a token allowance ``tok`` and one alert rule."""
    assert run(home, "allowance", "add", "existing", "--amount", "100", "--no-default-alerts").exit_code == 0
    assert (
        run(home, "allowance", "add", "tok", "--amount", "1000", "--unit", "tokens", "--no-default-alerts").exit_code
        == 0
    )
    assert run(home, "alerts", "add", "--allowance", "existing", "--percent", "80").exit_code == 0
    return home


def rule_id(home: Path) -> str:
    return str(run_json(home, "alerts", "list")["rules"][0]["id"])


MONEY_OPTIONS = [
    ("allowance", "add", "new", "--amount", "{}"),
    ("allowance", "add", "new", "--amount", "5", "--rollover-cap", "{}"),
    ("allowance", "topup", "existing", "--amount", "{}"),
    ("allowance", "adjust", "existing", "--amount", "{}"),
    ("allowance", "adjust", "existing", "--amount", "-{}"),
    ("allowance", "edit", "existing", "--amount", "{}"),
    ("allowance", "edit", "existing", "--rollover-cap", "{}"),
    ("usage", "add", "--provider", "openai", "--amount", "{}"),
    ("budget", "check", "--amount", "{}"),
    ("alerts", "add", "--allowance", "existing", "--absolute", "{}"),
    ("alerts", "add", "--allowance", "existing", "--kind", "expiry", "--min-unspent", "{}"),
]
TOKEN_OPTIONS = [
    ("allowance", "add", "new", "--unit", "tokens", "--amount", "{}"),
    ("allowance", "topup", "tok", "--amount", "{}"),
    ("allowance", "adjust", "tok", "--amount", "-{}"),
    ("budget", "check", "--allowance", "tok", "--amount", "{}"),
    ("alerts", "add", "--allowance", "tok", "--absolute", "{}"),
    ("usage", "add", "--provider", "openai", "--tokens", "{}"),
]
CASES = [
    *((t, v) for t in MONEY_OPTIONS for v in ("1e22", "9223372036855")),  # 10^22 and 9.2 * 10^12 dollars
    *((t, v) for t in TOKEN_OPTIONS for v in ("1e22", str(2**53 + 1))),
]


@pytest.mark.parametrize(("template", "value"), CASES, ids=[" ".join(t[:2] + t[-2:-1]) + " " + v for t, v in CASES])
def test_every_money_and_token_option_is_bounded(seeded: Path, template: tuple[str, ...], value: str) -> None:
    before = ledger_state(seeded)
    result = run(seeded, *(word.format(value) for word in template))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: --")  # the option the value came from
    assert "too large" in result.stderr and "Traceback" not in result.output
    assert ledger_state(seeded) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("usage", "add", "--provider", "openai", "--tokens", "9223372036854775807"), "--tokens: The token count"),
        (("usage", "add", "--provider", "openai", "--tokens", "1e30"), "2^53"),
        (("allowance", "add", "far", "--amount", "5", "--starts", "9999-12-31"), "--starts: The start date"),
        (("allowance", "add", "far", "--amount", "5", "--ends", "9999-12-31"), "1970 to 2199"),
        (("allowance", "add", "r", "--amount", "5", "--rollover-expires-days", "99999999999"), "ten years"),
        (("alerts", "add", "--allowance", "existing", "--kind", "expiry", "--days", "1e308"), "--days:"),
        (("alerts", "add", "--allowance", "existing", "--kind", "expiry", "--days", "nan"), "--days:"),
        (("alerts", "add", "--allowance", "existing", "--kind", "spike", "--trailing-days", "99999999999999"), "ten"),
        (("alerts", "add", "--allowance", "existing", "--kind", "spike", "--factor", "inf"), "--factor:"),
        (("alerts", "add", "--allowance", "existing", "--kind", "forecast", "--margin-days", "1e300"), "ten years"),
        (("alerts", "add", "--kind", "stale", "--hours", "1e300"), "ten years"),
        (("allowance", "topup", "existing", "--amount", "5", "--at", "0001-01-01"), "--at: The grant date"),
        (("allowance", "topup", "existing", "--amount", "5", "--expires", "9999-12-31"), "out of range"),
        (("usage", "add", "--provider", "openai", "--amount", "1", "--at", "9999-12-31T23:59:59-05:00"), "--at:"),
        (("usage", "add", "--provider", "openai", "--amount", "1", "--at", "0001-01-01T00:00+14:00"), "out of range"),
        (("usage", "list", "--since", "0001-01-01"), "--since:"),
        (("audit", "--since", "9999-12-31T23:59:59-05:00"), "--since:"),
        (("alerts", "history", "--since", "0001-01-01"), "--since:"),
    ],
)
def test_out_of_range_values_exit_2_and_store_nothing(seeded: Path, args: tuple[str, ...], words: str) -> None:
    before = ledger_state(seeded)
    result = run(seeded, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and words in result.stderr
    assert ledger_state(seeded) == before


def test_snooze_is_at_most_ten_years(seeded: Path) -> None:
    rule = rule_id(seeded)
    before = ledger_state(seeded)
    result = run(seeded, "alerts", "snooze", rule, "99999999d")
    assert result.exit_code == 2 and "ten years" in result.stderr
    assert run(seeded, "alerts", "snooze", rule, "9" * 40 + "h").exit_code == 2
    assert ledger_state(seeded) == before
    longest = run(seeded, "alerts", "snooze", rule, "3653d")
    assert longest.exit_code == 0 and "snoozed until 2036-11-15 12:00 UTC" in longest.output  # 3653 days on


def test_the_bounds_themselves_are_accepted(seeded: Path) -> None:
    assert run(seeded, "allowance", "add", "max", "--amount", "1000000000000").exit_code == 0
    assert run(seeded, "usage", "add", "--provider", "p", "--tokens", str(2**53)).exit_code == 0
    assert run(seeded, "allowance", "add", "late", "--amount", "5", "--starts", "2199-12-01").exit_code == 0
    assert run(seeded, "allowance", "add", "long", "--amount", "5", "--rollover-expires-days", "3653").exit_code == 0
    assert run(seeded, "alerts", "add", "--allowance", "existing", "--kind", "expiry", "--days", "3653").exit_code == 0


def _store_far(home: Path) -> None:
    """Values an older version accepted, written as it wrote them."""
    db = open_ledger(home / "data" / "ledger.db")
    try:
        far = Allowance(
            id="far0000000000",
            name="far",
            unit=Unit.USD,
            amount=5_000_000,
            cadence=Cadence.MONTHLY,
            starts_at=datetime(9999, 12, 31, tzinfo=UTC),
            timezone="UTC",
        )
        roll = Allowance(
            id="roll000000000",
            name="roll",
            unit=Unit.USD,
            amount=5_000_000,
            cadence=Cadence.MONTHLY,
            starts_at=datetime(2026, 11, 1, tzinfo=UTC),
            rollover=RolloverPolicy(expires_days=99_999_999_999),
        )
        allowances.add(db, far, at=NOW)
        allowances.add(db, roll, at=NOW)
        with db.atomic():
            store.add_rule(db, store.StoredRule("r-huge", "expiry", "far0000000000", {"days_before": 1e308}, True, NOW))
            store.add_rule(db, store.StoredRule("r-long", "spike", None, {"trailing_days": 10**14}, True, NOW))
    finally:
        db.close()


def test_status_leaves_out_what_is_stored_out_of_bounds(seeded: Path) -> None:
    _store_far(seeded)
    text = run(seeded, "status")
    assert text.exit_code == 0
    assert "existing" in text.stdout and "far" not in text.stdout
    assert "warning: left out of the status: The allowance 'far' starts on 9999-12-31" in text.stderr
    assert "The allowance 'roll' keeps rolled-over value for 99,999,999,999 days" in text.stderr
    document = run_json(seeded, "status")
    assert [a["name"] for a in document["allowances"]] == ["existing", "tok"]
    shown = run(seeded, "allowance", "show", "far")
    assert shown.exit_code == 1 and "starts on 9999-12-31" in shown.stderr


def test_budget_check_refuses_to_answer_for_a_broken_allowance(seeded: Path) -> None:
    _store_far(seeded)
    result = run(seeded, "budget", "check", "--amount", "1")
    assert result.exit_code == 1 and "error: The allowance 'far'" in result.stderr
    assert run(seeded, "budget", "check", "--amount", "1", "--allowance", "existing").exit_code == 0


def test_alerts_check_skips_what_is_stored_out_of_bounds(seeded: Path, caplog: pytest.LogCaptureFixture) -> None:
    _store_far(seeded)
    run(seeded, "usage", "add", "--provider", "openai", "--amount", "90")
    result = run(seeded, "alerts", "check", "--no-notify", "--json")
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)["events"]
    assert [e["title"].split(":")[0] for e in events] == ["existing"]
    assert "r-huge is skipped" in caplog.text and "r-long is skipped" in caplog.text  # warnings on stderr
