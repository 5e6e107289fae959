"""Widgets, models and the tray under pytest-qt (offscreen)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtGui import QColor

from tokenwallet.ui.display import DisplayOptions
from tokenwallet.ui.tray.meter_icon import COLOURS, render_meter
from tokenwallet.ui.tray.view_state import Badge, MenuLine, Severity, TrayViewState

pytestmark = pytest.mark.usefixtures("qapp")


def _close(a: QColor, b: QColor, tol: int = 40) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) <= tol


@pytest.mark.parametrize("size", [16, 22, 32])
def test_meter_ring_fills_with_share_used(size: int) -> None:
    image = render_meter(50, Severity.WARNING, Badge.NONE, size).toImage()
    ring_y = round(size * 0.2)  # on the ring, near the top
    right = image.pixelColor(size - ring_y - 1, size // 2)  # 3 o'clock: inside the first half
    left = image.pixelColor(ring_y, size // 2)  # 9 o'clock: not yet filled at 50%
    assert _close(right, QColor(COLOURS[Severity.WARNING]))
    assert not _close(left, QColor(COLOURS[Severity.WARNING]))


def test_meter_colour_follows_state_and_corners_stay_transparent() -> None:
    ok = render_meter(99, Severity.OK, Badge.NONE, 32).toImage()
    critical = render_meter(99, Severity.CRITICAL, Badge.NONE, 32).toImage()
    assert _close(ok.pixelColor(4, 16), QColor(COLOURS[Severity.OK]))
    assert _close(critical.pixelColor(4, 16), QColor(COLOURS[Severity.CRITICAL]))
    assert ok.pixelColor(0, 0).alpha() == 0


def test_badge_drawn_bottom_right() -> None:
    plain = render_meter(10, Severity.OK, Badge.NONE, 32).toImage()
    stale = render_meter(10, Severity.OK, Badge.ERROR, 32).toImage()
    assert plain.pixelColor(26, 26) != stale.pixelColor(26, 26)
    assert _close(stale.pixelColor(26, 26), QColor("#fdd835"))
    assert not _close(plain.pixelColor(26, 26), QColor("#fdd835"))


def _state() -> TrayViewState:
    return TrayViewState(
        percent=40,
        severity=Severity.OK,
        badge=Badge.NONE,
        tooltip="tokenwallet\nWork: $60.00 left",
        lines=(MenuLine("a1", "Work: $60.00 left of $100.00 · 40% used", Severity.OK),),
    )


def test_tray_menu_rebuilt_with_allowances_and_actions(qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.controller import TrayController

    tray = TrayController()
    tray.show()
    tray.render(_state())
    tray.menu.aboutToShow.emit()
    texts = tray.action_texts()
    assert texts[0] == "Work: $60.00 left of $100.00 · 40% used"
    assert texts[1:] == ["Refresh now", "Open dashboard", "Pause polling", "Settings…", "Quit"]
    assert tray.icon.toolTip().startswith("tokenwallet\nWork")
    with qtbot.waitSignal(tray.refresh_requested):
        tray.menu.actions()[2].trigger()
    with qtbot.waitSignal(tray.pause_toggled) as blocker:
        next(a for a in tray.menu.actions() if a.text() == "Pause polling").trigger()
    assert blocker.args == [True]
    tray.icon.hide()


def test_demo_header_in_menu() -> None:
    from dataclasses import replace

    from tokenwallet.ui.tray.controller import TrayController

    tray = TrayController()
    tray.render(replace(_state(), demo=True))
    tray.rebuild_menu()
    assert tray.action_texts()[0].startswith("Demo data")


def test_models_pass_qtmodeltester(qtmodeltester, allowance_ctx, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.snapshot import load_snapshot
    from tokenwallet.ui.dashboard.models import AccountTableModel, ModelTableModel

    snapshot = load_snapshot(allowance_ctx, now)
    models = ModelTableModel()
    models.set_rows(list(snapshot.models), DisplayOptions(), now)
    qtmodeltester.check(models)
    assert models.rowCount() == 3
    cells = {models.data(models.index(r, 1)): models.data(models.index(r, 4)) for r in range(3)}
    assert cells["gpt-4.1"] == "$20.00"
    assert cells["claude-sonnet-4"] == "≈ $5.00 (estimate)"
    accounts = AccountTableModel()
    accounts.set_rows(list(snapshot.accounts), DisplayOptions(), now)
    qtmodeltester.check(accounts)
    empty = ModelTableModel()
    qtmodeltester.check(empty)


def test_dashboard_shows_cards_chart_and_hides_amounts(qtbot, allowance_ctx, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.snapshot import load_snapshot
    from tokenwallet.ui.dashboard.window import DashboardWindow

    window = DashboardWindow()
    qtbot.addWidget(window)
    window.set_options(DisplayOptions(), demo=True)
    window.show_snapshot(load_snapshot(allowance_ctx, now))
    window.show()
    qtbot.waitExposed(window)
    card = window.cards[0]
    assert card.title.text() == "Work"
    assert card.fields["Remaining"].text() == "$60.00"
    assert card.fields["Spent"].text() == "$40.00 *"  # the star marks estimates
    assert "includes estimates" in card.how.text()
    assert "Estimated from local logs (not billed): $5.00" in card.counting.text()
    assert window.demo_label.isVisible()
    assert window.chart.series_names == [
        "Spent so far",
        "Allowance",
        "Even pace",
        "Forecast",
        "Daily spend",
        "estimated (logs)",
    ]
    window.hide_amounts.setChecked(True)
    assert card.fields["Remaining"].text() == "•••"
    assert window.model_table.data(window.model_table.index(0, 4)) == "•••"


def test_dashboard_without_allowance_explains(qtbot, app_context, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.snapshot import load_snapshot
    from tokenwallet.ui.dashboard.window import DashboardWindow

    window = DashboardWindow()
    qtbot.addWidget(window)
    window.show_snapshot(load_snapshot(app_context, now))
    window.show()
    assert window.empty.isVisible()
    assert "Settings" in window.empty.text()


def test_stale_snapshot_after_missed_polls(allowance_ctx, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.view_state import is_stale

    assert is_stale(now - timedelta(minutes=20), now, timedelta(minutes=5))


def test_api_token_rows_are_not_called_unpriced(now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.snapshot import ModelRow
    from tokenwallet.ui.dashboard.models import ModelTableModel

    model = ModelTableModel()
    model.set_rows(
        [
            ModelRow("openai", "gpt-5.2", 10, 5000, None, False, unpriced=False),
            ModelRow("anthropic", "new-model", 1, 100, None, True, unpriced=True),
        ],
        DisplayOptions(),
        now,
    )
    assert model.data(model.index(0, 4)) == "in provider's cost total"
    assert model.data(model.index(1, 4)) == "unpriced"
