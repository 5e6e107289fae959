"""A fired alert reaches the session bus as org.freedesktop.Notifications.Notify (caught by dbus-monitor)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

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


def test_fired_alert_is_a_notify_call_on_the_session_bus(db: Database, tmp_path: Path) -> None:
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
            time.sleep(0.5)  # let the monitor register its match rule
            events = run_alerts(db, NOW, Settings(timezone="UTC"), CompositeDelivery([LogDelivery(), DbusNotifier()]))
            time.sleep(0.5)
            shot = os.environ.get("TOKENWALLET_SCREENSHOT_DIR")
            if shot and shutil.which("import"):
                subprocess.run(["import", "-window", "root", str(Path(shot) / "notify.png")], check=False)
        finally:
            monitor.terminate()
            monitor.wait(timeout=5)
    text = log.read_text()
    assert [e.title for e in events] == ["Work: 80% used"]
    assert "member=Notify" in text
    assert 'string "Work: 80% used"' in text
    assert 'string "tokenwallet"' in text
    assert store.events(db)[0].delivered_at == NOW
