"""A fired alert reaches the session bus as org.freedesktop.Notifications.Notify (caught by dbus-monitor)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from tests.desktop.screens import grab_screen, has_colour, save, wait_for
from tokenwallet.alerts.delivery import CompositeDelivery, DbusNotifier, LogDelivery
from tokenwallet.alerts.rules import Rule, ThresholdParams
from tokenwallet.alerts.service import add_rule, run_alerts
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Unit
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Source, UsageRecord
from tokenwallet.ledger import accounts, allowances, usage
from tokenwallet.ledger import alerts as store
from tokenwallet.settings import Settings

pytestmark = pytest.mark.desktop
NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
DUNST = "#285577"  # dunst's default background for a normal notification


def test_fired_alert_is_a_notify_call_on_the_session_bus(db: Database, tmp_path: Path, qtbot: QtBot) -> None:
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="oa"), at=NOW - timedelta(days=60))
    allowances.add(
        db,
        Allowance(
            id="work",
            name="Work",
            unit=Unit.USD,
            amount=usd(100),
            cadence=Cadence.MONTHLY,
            starts_at=datetime(2026, 10, 1, tzinfo=UTC),
        ),
        at=NOW - timedelta(days=60),
    )
    add_rule(db, Rule("r-80", ThresholdParams(percent=80), "work"), NOW - timedelta(days=1))
    with db.atomic():
        usage.upsert(
            db,
            [
                UsageRecord(
                    "oa",
                    Source.API_COST,
                    "k",
                    NOW - timedelta(hours=2),
                    NOW - timedelta(hours=1),
                    "openai",
                    "gpt-5",
                    cost_micros=usd(85),
                )
            ],
            recorded_at=NOW,
        )
    log = tmp_path / "monitor.log"
    with log.open("w") as out:
        monitor = subprocess.Popen(
            [
                "dbus-monitor",
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            # dbus-monitor says NameLost once it has become a monitor with its match rule in place.
            wait_for(lambda: "member=NameLost" in log.read_text(), timeout=10, what="dbus-monitor")
            events = run_alerts(db, NOW, Settings(timezone="UTC"), CompositeDelivery([LogDelivery(), DbusNotifier()]))
            wait_for(lambda: 'string "Work: 80% used"' in log.read_text(), timeout=10, what="the Notify call")
            # dunst (default colours) shows it as a dark blue box.
            qtbot.waitUntil(lambda: has_colour(grab_screen(), DUNST, within=30, at_least=2000), timeout=10000)
            save(grab_screen(), "notify.png")
        finally:
            monitor.terminate()
            monitor.wait(timeout=5)
    text = log.read_text()
    assert [e.title for e in events] == ["Work: 80% used"]
    assert "member=Notify" in text
    assert 'string "Work: 80% used"' in text
    assert 'string "tokenwallet"' in text
    assert store.events(db)[0].delivered_at == NOW
