"""The alert service on a ledger: account-wide rules, expiry from real grants, recovery, snooze forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlite_utils import Database

from tokenwallet.alerts.delivery import Notice
from tokenwallet.alerts.rules import ExpiryParams, ProviderParams, Rule, Signal, StaleParams, ThresholdParams
from tokenwallet.alerts.service import add_rule, remove_rule, run_alerts, snooze
from tokenwallet.domain.accounts import Account, AccountKind, SyncState
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, Unit
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind, Source, UsageRecord
from tokenwallet.ledger import accounts, allowances, snapshots, sync_state, usage
from tokenwallet.ledger import alerts as store
from tokenwallet.settings import Settings

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
UTC_SETTINGS = Settings(timezone="UTC")


@pytest.fixture
def ledger(db: Database) -> Database:
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="oa"), at=NOW - timedelta(days=90))
    accounts.add(db, Account(id="lite", kind=AccountKind.LITELLM, label="lite"), at=NOW - timedelta(days=90))
    allowances.add(
        db,
        Allowance(
            id="work",
            name="work",
            unit=Unit.USD,
            amount=usd(100),
            cadence=Cadence.MONTHLY,
            starts_at=datetime(2026, 10, 1, tzinfo=UTC),
        ),
        at=NOW - timedelta(days=90),
    )
    return db


def test_stale_and_provider_rules_read_sync_state_and_snapshots(ledger: Database) -> None:
    add_rule(ledger, Rule("stale", StaleParams(hours=6)), NOW)
    add_rule(ledger, Rule("soft", ProviderParams(Signal.LITELLM_SOFT_BUDGET)), NOW)
    sync_state.put(ledger, SyncState("oa", last_attempt=NOW, last_success=NOW - timedelta(hours=8)))
    snapshots.record(
        ledger,
        [
            BalanceSnapshot(
                "lite",
                SnapshotKind.LIMIT,
                "key",
                NOW - timedelta(minutes=5),
                spent_micros=usd(41),
                limit_micros=usd(100),
                soft_limit_micros=usd(40),
            )
        ],
    )
    notices: list[Notice] = []
    events = run_alerts(ledger, NOW, UTC_SETTINGS, notices.append)
    assert sorted(e.title for e in events) == ["lite: soft budget crossed", "oa: data is stale"]
    assert len(notices) == 1 and notices[0].count == 2
    # a successful sync clears the stale state silently; going stale again fires again
    sync_state.put(ledger, SyncState("oa", last_attempt=NOW, last_success=NOW + timedelta(hours=1)))
    assert run_alerts(ledger, NOW + timedelta(hours=1), UTC_SETTINGS, notices.append) == []
    assert store.states(ledger)[("stale", "stale:oa:default")] == "ok"
    again = run_alerts(ledger, NOW + timedelta(hours=8), UTC_SETTINGS, notices.append)
    assert [e.title for e in again] == ["oa: data is stale"]


def test_expiry_rule_on_a_top_up_that_lapses(ledger: Database) -> None:
    allowances.add_grant(
        ledger,
        Grant("g1", "work", GrantKind.TOPUP, usd(50), NOW - timedelta(days=20), expires_at=NOW + timedelta(days=3)),
        at=NOW - timedelta(days=20),
    )
    add_rule(ledger, Rule("exp", ExpiryParams(days_before=7, min_unspent=usd(10)), "work"), NOW)
    events = run_alerts(ledger, NOW, UTC_SETTINGS, None)
    assert [e.title for e in events] == ["work: value expires soon"]
    assert "will lapse unspent on 2026-11-18" in events[0].message


def test_recovery_notice_and_rule_removal(ledger: Database) -> None:
    add_rule(ledger, Rule("t", ThresholdParams(percent=50), "work", notify_recovery=True), NOW - timedelta(days=1))
    with ledger.atomic():
        usage.upsert(
            ledger,
            [
                UsageRecord(
                    "oa",
                    Source.API_COST,
                    "k",
                    NOW - timedelta(hours=3),
                    NOW - timedelta(hours=2),
                    "openai",
                    "gpt-5",
                    cost_micros=usd(60),
                )
            ],
            recorded_at=NOW,
        )
    assert [e.kind for e in run_alerts(ledger, NOW, UTC_SETTINGS, None)] == ["threshold"]
    allowances.add_grant(
        ledger,
        Grant("g2", "work", GrantKind.TOPUP, usd(100), NOW + timedelta(minutes=30)),
        at=NOW + timedelta(minutes=30),
    )
    back = run_alerts(ledger, NOW + timedelta(hours=1), UTC_SETTINGS, None)
    assert [(e.kind, e.title, e.severity) for e in back] == [("recovered", "work: available again", "info")]
    remove_rule(ledger, "t", NOW + timedelta(hours=2))
    assert store.list_rules(ledger) == []
    assert len(store.events(ledger)) == 2  # the history stays


def test_snooze_forms(ledger: Database) -> None:
    add_rule(ledger, Rule("t", ThresholdParams(percent=50), "work"), NOW)
    add_rule(ledger, Rule("s", StaleParams()), NOW)
    assert snooze(ledger, "t", NOW, "period") == datetime(2026, 12, 1, tzinfo=UTC)
    assert snooze(ledger, "t", NOW, "12h") == NOW + timedelta(hours=12)
    assert snooze(ledger, "t", NOW, "2d") == NOW + timedelta(days=2)
    assert snooze(ledger, "t", NOW, "off") is None
    assert store.snoozes(ledger) == {}
    with pytest.raises(UserInputError, match="no allowance"):
        snooze(ledger, "s", NOW, "period")
    with pytest.raises(UserInputError, match="not understood"):
        snooze(ledger, "t", NOW, "0h")


def test_a_failing_delivery_keeps_the_event_and_fires_nothing_twice(ledger: Database) -> None:
    add_rule(ledger, Rule("t", ThresholdParams(percent=50), "work"), NOW - timedelta(days=1))
    with ledger.atomic():
        usage.upsert(
            ledger,
            [
                UsageRecord(
                    "oa",
                    Source.API_COST,
                    "k",
                    NOW - timedelta(hours=3),
                    NOW - timedelta(hours=2),
                    "openai",
                    "gpt-5",
                    cost_micros=usd(60),
                )
            ],
            recorded_at=NOW,
        )

    def broken(notice: Notice) -> None:
        raise OSError("no notification server")

    events = run_alerts(ledger, NOW, UTC_SETTINGS, broken)
    assert [e.title for e in events] == ["work: 50% used"]
    assert store.events(ledger)[0].delivered_at is None
    assert run_alerts(ledger, NOW + timedelta(hours=1), UTC_SETTINGS, broken) == []


def test_two_connections_record_a_crossing_once(ledger: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from tokenwallet.alerts import service
    from tokenwallet.alerts.rules import from_stored

    add_rule(ledger, Rule("t", ThresholdParams(percent=50), "work"), NOW - timedelta(days=1))
    with ledger.atomic():
        usage.upsert(
            ledger,
            [
                UsageRecord(
                    "oa",
                    Source.API_COST,
                    "k",
                    NOW - timedelta(hours=3),
                    NOW - timedelta(hours=2),
                    "openai",
                    "gpt-5",
                    cost_micros=usd(60),
                )
            ],
            recorded_at=NOW,
        )
    # the tray read its facts and stored state, then a CLI check recorded the crossing first
    rules = [from_stored(r) for r in store.list_rules(ledger)]
    stale_view = service.evaluate(rules, service.gather_facts(ledger, NOW, rules), store.states(ledger))
    assert len(stale_view) == 1
    run_alerts(ledger, NOW, UTC_SETTINGS, None)
    monkeypatch.setattr(service, "evaluate", lambda *a: stale_view)
    assert run_alerts(ledger, NOW, UTC_SETTINGS, None) == []
    assert len(store.events(ledger)) == 1
