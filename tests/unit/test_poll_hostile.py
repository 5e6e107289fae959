"""Hostile servers over real HTTP (the emulator): one account's failure never stops the others.

The poll service and the `poll --once` / `account test` commands meet an absurd Retry-After, a
body of ``{}`` and a page of huge numbers; each is a clear failure of that account only.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tokenwallet.cli.root import cli
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.limits import MAX_DAYS
from tokenwallet.emulator import start_emulator
from tokenwallet.ledger import accounts as accounts_db
from tokenwallet.ledger import sync_state as sync_db
from tokenwallet.secrets import ApiKey, MemorySecretStore
from tokenwallet.sources.http import MAX_RETRY_AFTER_SECONDS, make_client
from tokenwallet.sync import schedule
from tokenwallet.sync.service import PollService


@pytest.fixture
def service(db, clock):  # type: ignore[no-untyped-def]
    with make_client(httpx.Timeout(2.0, connect=1.0)) as client:
        yield PollService(db_factory=lambda: db, secrets=MemorySecretStore(), client=client, clock=clock)


def _add(db, service, emulator, kind: str, now) -> str:  # type: ignore[no-untyped-def]
    account = Account(id=f"{kind}-1", kind=AccountKind(kind), label=kind, base_url=emulator.base_url(kind))
    accounts_db.add(db, account, at=now)
    service.secrets.set(account.id, ApiKey(emulator.keys[kind]))
    return account.id


@pytest.mark.parametrize("fault", ["retry_after_huge", "retry_after_far_date"])
def test_absurd_retry_after_waits_at_most_a_day_and_the_next_account_still_polls(  # type: ignore[no-untyped-def]
    fault: str, db, service, emulator, now
) -> None:
    first = _add(db, service, emulator, "deepseek", now)
    second = _add(db, service, emulator, "moonshot", now)
    emulator.set_fault("deepseek", fault)
    outcomes = {o.account_id: o for o in service.poll_due()}
    assert set(outcomes) == {first, second}
    assert not outcomes[first].ok and outcomes[first].error_kind == "rate_limited"
    assert outcomes[second].ok, outcomes[second]
    due = sync_db.get(db, first).next_due
    assert due is not None
    wait = due - now
    # a day at most, plus the usual backoff of a first failure and its jitter
    first_backoff = schedule.backoff(1, schedule.DEFAULT_INTERVAL) * (1 + schedule.JITTER_FRACTION)
    assert (
        timedelta(seconds=MAX_RETRY_AFTER_SECONDS) <= wait <= timedelta(seconds=MAX_RETRY_AFTER_SECONDS) + first_backoff
    )


def test_an_unrecordable_failure_still_returns_an_outcome(db, service, emulator, now, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first = _add(db, service, emulator, "deepseek", now)
    second = _add(db, service, emulator, "moonshot", now)
    emulator.set_fault("deepseek", "503")

    def broken(*_: object) -> None:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(schedule, "after_failure", broken)
    outcomes = {o.account_id: o for o in service.poll_due()}
    assert set(outcomes) == {first, second}
    assert not outcomes[first].ok and outcomes[second].ok


@pytest.mark.parametrize("fault", ["huge_numbers", "non_finite", "empty_object", "deep_nesting"])
def test_hostile_bodies_store_nothing_and_are_schema_errors(fault: str, db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    account_id = _add(db, service, emulator, "openai", now)
    emulator.set_fault("/openai/v1/organization/costs", fault)
    outcome = service.poll(account_id)
    assert not outcome.ok and outcome.error_kind == "schema", outcome
    assert "openai" in outcome.error
    costs = db.execute("SELECT count(*) FROM usage WHERE source = 'api_cost'").fetchone()[0]
    assert costs == 0


# --- the commands --------------------------------------------------------------------------------
@pytest.fixture
def live_emulator():  # type: ignore[no-untyped-def]
    """The emulator on the real clock (the CLI polls with the system clock)."""
    running = start_emulator()
    yield running
    running.stop()


def _run(home: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--home", str(home), *args], input=stdin, catch_exceptions=False)


def _cli_add(home: Path, emu, kind: str) -> str:  # type: ignore[no-untyped-def]
    result = _run(
        home,
        "account",
        "add",
        kind,
        "--label",
        kind,
        "--base-url",
        emu.base_url(kind),
        "--key-stdin",
        "--json",
        stdin=emu.keys[kind],
    )
    assert result.exit_code == 0, result.output
    return str(json.loads(result.output)["account"]["id"])


def test_account_test_fails_against_a_server_that_answers_an_empty_object(home: Path, live_emulator) -> None:  # type: ignore[no-untyped-def]
    for kind in ("openai", "anthropic", "deepseek"):
        account_id = _cli_add(home, live_emulator, kind)
        live_emulator.set_fault(kind, "empty_object", count=None)
        result = _run(home, "account", "test", account_id, "--json")
        assert result.exit_code == 1, result.output
        outcome = json.loads(result.output)["outcome"]
        assert not outcome["ok"] and outcome["error_kind"] == "schema" and kind in outcome["error"]


def test_poll_once_polls_every_account_after_an_absurd_retry_after(home: Path, live_emulator) -> None:  # type: ignore[no-untyped-def]
    ids = [_cli_add(home, live_emulator, kind) for kind in ("deepseek", "moonshot", "openrouter")]
    live_emulator.set_fault("deepseek", "retry_after_huge")
    live_emulator.set_fault("moonshot", "huge_numbers")
    result = _run(home, "poll", "--once", "--json")
    assert result.exit_code == 1, result.output
    outcomes = {o["account_id"]: o for o in json.loads(result.output)["outcomes"]}
    assert set(outcomes) == set(ids)
    assert [outcomes[i]["error_kind"] for i in ids] == ["rate_limited", "schema", ""]
    assert outcomes[ids[2]]["ok"]


def test_an_absurd_poll_interval_is_ten_years_not_an_overflow(db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    account = Account(
        id="deepseek-1",
        kind=AccountKind.DEEPSEEK,
        label="deepseek",
        base_url=emulator.base_url("deepseek"),
        config={"poll_interval_minutes": 99999999999999},
    )
    accounts_db.add(db, account, at=now)
    service.secrets.set(account.id, ApiKey(emulator.keys["deepseek"]))
    assert service.poll(account.id).ok
    due = sync_db.get(db, account.id).next_due
    assert due is not None and timedelta(days=MAX_DAYS) <= due - now <= timedelta(days=MAX_DAYS) * 1.1
