"""The dashboard's alert history widget and the tray-balloon delivery adapter."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from tokenwallet.alerts.delivery import Notice
from tokenwallet.ledger import alerts as store
from tokenwallet.ui.dashboard.alert_history import AlertHistoryModel, AlertHistoryWidget
from tokenwallet.ui.tray.notifier import TrayNotifier

T = datetime(2026, 11, 10, 12, tzinfo=UTC)


def seed(db: Database) -> None:
    with db.atomic():
        first = store.add_event(
            db,
            rule_id="r1",
            allowance_id="a",
            period_key="k",
            fired_at=T,
            kind="threshold",
            severity="warning",
            title="Work: 50% used",
            message="$50.00 of $100.00 spent (50%).",
        )
        store.mark_delivered(db, [first.id], T)
        store.add_event(
            db,
            rule_id="r2",
            allowance_id="a",
            period_key="k",
            fired_at=T + timedelta(days=5),
            kind="threshold",
            severity="warning",
            title="Work: 80% used",
            message="m",
            extra={"held": "snoozed"},
        )
        store.add_event(
            db,
            rule_id="r3",
            allowance_id="a",
            period_key="k",
            fired_at=T + timedelta(days=9),
            kind="threshold",
            severity="critical",
            title="Work: 100% used",
            message="$100.00 of $100.00 spent (100%); $0.00 left.",
        )


def test_widget_shows_newest_first_with_delivery_and_tooltips(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    widget = AlertHistoryWidget()
    qtbot.addWidget(widget)
    widget.resize(640, 220)
    widget.show()
    widget.show_events(store.events(db))
    assert widget.view.isHidden() and not widget.empty.isHidden()  # nothing fired yet: the explanation shows
    seed(db)
    widget.show_events(store.events(db))
    model = widget.model
    assert not widget.view.isHidden() and widget.empty.isHidden()
    assert model.rowCount() == 3
    titles = [model.data(model.index(r, 2)) for r in range(3)]
    assert titles == ["Work: 100% used", "Work: 80% used", "Work: 50% used"]
    assert [model.data(model.index(r, 3)) for r in range(3)] == ["recorded", "snoozed", "notified"]
    assert "$0.00 left" in model.data(model.index(0, 2), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ForegroundRole).name() == "#c0392b"
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Alert"
    shot = tmp_path / "history.png"
    assert widget.grab().save(str(shot))
    if os.environ.get("TOKENWALLET_SCREENSHOT_DIR"):
        widget.grab().save(str(Path(os.environ["TOKENWALLET_SCREENSHOT_DIR"]) / "alert-history.png"))


def test_model_is_empty_and_safe_out_of_range() -> None:
    model = AlertHistoryModel()
    assert model.rowCount() == 0
    assert model.data(model.index(5, 0)) is None


def test_tray_notifier_calls_show_message(qtbot: QtBot, monkeypatch: object) -> None:
    tray = QSystemTrayIcon()
    calls: list[tuple[object, ...]] = []
    tray.showMessage = lambda *args: calls.append(args)  # type: ignore[method-assign,assignment]
    TrayNotifier(tray, timeout_ms=1234)(Notice("Work: 95% used", "body", "critical"))
    assert calls == [("Work: 95% used", "body", QSystemTrayIcon.MessageIcon.Critical, 1234)]
