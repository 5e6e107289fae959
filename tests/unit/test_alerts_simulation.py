"""A simulated month: a fixed clock steps hour by hour, spend arrives daily, alerts are checked exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from tokenwallet.alerts.delivery import Notice
from tokenwallet.alerts.rules import Rule, SpikeParams, ThresholdParams, new_rule_id
from tokenwallet.alerts.service import add_rule, run_alerts, snooze
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Unit
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Source, UsageRecord
from tokenwallet.ledger import accounts, allowances, audit, usage
from tokenwallet.ledger import alerts as store
from tokenwallet.ledger.db import open_ledger
from tokenwallet.settings import Settings

START = datetime(2026, 11, 1, tzinfo=UTC)
QUIET = Settings(timezone="UTC", quiet_hours_start="22:00", quiet_hours_end="07:00")


def setup(path: Path) -> tuple[Database, dict[float, str]]:
    db = open_ledger(path)
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="oa"), at=START - timedelta(days=40))
    allowance = Allowance(
        id="work",
        name="work",
        unit=Unit.USD,
        amount=usd(100),
        cadence=Cadence.MONTHLY,
        starts_at=datetime(2026, 10, 1, tzinfo=UTC),
        timezone="UTC",
    )
    allowances.add(db, allowance, at=START - timedelta(days=40))
    ids = {}
    for percent in (50.0, 80.0, 95.0, 100.0):
        rule = add_rule(db, Rule(new_rule_id(), ThresholdParams(percent=percent), "work"), START - timedelta(days=1))
        ids[percent] = rule.id
    return db, ids


def spend(db: Database, at: datetime, amount: int) -> None:
    record = UsageRecord(
        account_id="oa",
        source=Source.API_COST,
        key=at.isoformat(),
        bucket_start=at,
        bucket_end=at + timedelta(hours=1),
        provider="openai",
        model="gpt-5",
        cost_micros=amount,
    )
    with db.atomic():
        usage.upsert(db, [record], recorded_at=at)


def spend_hour(at: datetime) -> bool:
    """$5 a day at noon, except 19 November when it arrives at 23:00 (inside quiet hours)."""
    if at.date() == datetime(2026, 11, 19).date():
        return at.hour == 23
    return at.hour == 12


def test_month_fires_each_crossing_once_with_snooze_quiet_hours_and_restart(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    db, ids = setup(path)
    spike = add_rule(db, Rule("r-spike", SpikeParams(factor=3, trailing_days=14), "work"), START - timedelta(days=1))
    notices: list[tuple[datetime, Notice]] = []
    now = START
    end = datetime(2026, 12, 11, 13, tzinfo=UTC)
    while now < end:
        if now == datetime(2026, 11, 16, 6, tzinfo=UTC):
            snooze(db, ids[80.0], now, "1d")
        if now == datetime(2026, 11, 14, 3, tzinfo=UTC):
            db.close()  # restart in the middle: a fresh connection, nothing kept in memory
            db = open_ledger(path)
        if spend_hour(now):
            spend(db, now, usd(5))
        if now == datetime(2026, 11, 25, 12, tzinfo=UTC):
            spend(db, now, usd(30))  # a spike: $35 today against a median of $5
        run_alerts(db, now, QUIET, lambda n, at=now: notices.append((at, n)))
        run_alerts(db, now, QUIET, lambda n, at=now: notices.append((at, n)))  # a second run changes nothing
        now += timedelta(hours=1)

    fired = [(e.rule_id, e.fired_at, e.extra.get("held"), e.delivered_at) for e in store.events(db)]
    assert fired == [
        (ids[50.0], datetime(2026, 11, 10, 12, tzinfo=UTC), None, datetime(2026, 11, 10, 12, tzinfo=UTC)),
        (ids[80.0], datetime(2026, 11, 16, 12, tzinfo=UTC), "snoozed", None),
        (ids[95.0], datetime(2026, 11, 19, 23, tzinfo=UTC), "quiet", datetime(2026, 11, 20, 7, tzinfo=UTC)),
        (ids[100.0], datetime(2026, 11, 20, 12, tzinfo=UTC), None, datetime(2026, 11, 20, 12, tzinfo=UTC)),
        (spike.id, datetime(2026, 11, 25, 12, tzinfo=UTC), None, datetime(2026, 11, 25, 12, tzinfo=UTC)),
        # December is a new period: the 50% rule is armed again and fires once more
        (ids[50.0], datetime(2026, 12, 10, 12, tzinfo=UTC), None, datetime(2026, 12, 10, 12, tzinfo=UTC)),
    ]
    assert [(at, n.title) for at, n in notices] == [
        (datetime(2026, 11, 10, 12, tzinfo=UTC), "work: 50% used"),
        (datetime(2026, 11, 20, 7, tzinfo=UTC), "work: 95% used"),
        (datetime(2026, 11, 20, 12, tzinfo=UTC), "work: 100% used"),
        (datetime(2026, 11, 25, 12, tzinfo=UTC), "work: spending spike"),
        (datetime(2026, 12, 10, 12, tzinfo=UTC), "work: 50% used"),
    ]
    assert notices[2][1].severity == "critical"
    fired_audit = [e for e in audit.entries(db) if e.action == "alert.fired"]
    assert len(fired_audit) == 6
    db.close()


def test_catching_up_after_sleep_gives_one_summary(tmp_path: Path) -> None:
    db, _ = setup(tmp_path / "ledger.db")
    for day in range(20):
        spend(db, START + timedelta(days=day, hours=12), usd(5))
    notices: list[Notice] = []
    events = run_alerts(db, datetime(2026, 11, 21, 9, tzinfo=UTC), Settings(timezone="UTC"), notices.append)
    assert len(events) == 4
    assert len(notices) == 1
    assert notices[0].count == 4
    assert notices[0].title == "tokenwallet: 4 alerts"
    assert notices[0].body.splitlines() == ["work: 50% used", "work: 80% used", "work: 95% used", "work: 100% used"]
    assert run_alerts(db, datetime(2026, 11, 21, 10, tzinfo=UTC), Settings(timezone="UTC"), notices.append) == []
    assert len(notices) == 1
    db.close()


def test_notifications_off_records_without_delivering(tmp_path: Path) -> None:
    db, _ = setup(tmp_path / "ledger.db")
    spend(db, START + timedelta(hours=12), usd(60))
    notices: list[Notice] = []
    events = run_alerts(db, START + timedelta(hours=13), Settings(timezone="UTC", notifications=False), notices.append)
    assert [e.extra for e in events] == [{"held": "muted"}]
    assert notices == []
    db.close()
