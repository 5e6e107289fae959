"""The dashboard window as a whole: first start with logs, the Compensation view, its size, locale dates,
a memory-flat refresh, and a tray icon whose status dot never covers the number."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QAbstractAnimation, QCoreApplication, QEvent, QLocale, QObject

from tests.ui import dashboard_world as world
from tokenwallet.secrets.store import MemorySecretStore
from tokenwallet.ui.display import DisplayOptions
from tokenwallet.ui.runtime.bridge import InlineExecutor
from tokenwallet.ui.settings.discard import Answer

NOW = world.NOW


@pytest.fixture
def make_app(qtbot, app_context):  # type: ignore[no-untyped-def]
    from tokenwallet.ui.runtime.application import TrayApp

    made = []

    def make(*builders):  # type: ignore[no-untyped-def]
        for build in builders:
            build(app_context)
        app = TrayApp(app_context, executor=InlineExecutor(), store=MemorySecretStore())
        made.append(app)
        app.refresh()
        return app

    yield make
    for app in made:
        app.shutdown()


def test_first_start_with_logs_shows_the_month_and_makes_an_allowance(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(world.logs_only)
    month = app.snapshot.month_to_date
    spent = sum(Decimal(d) for d in world.LOG_DAYS.values())
    assert month is not None and month.status.period_spent == int(spent * 1_000_000)
    # Burn over the last 7 days: the 12th and the 15th; 15.5 days to 1 Dec at that pace.
    rate = (Decimal(world.LOG_DAYS[12]) + Decimal(world.LOG_DAYS[15])) / 7
    projected = spent + rate * Decimal("15.5")
    assert abs(Decimal(month.status.projected_period_spend) / 1_000_000 - projected) < Decimal("0.000001")
    assert month.suggested_amount == 50_000_000  # 110 % of $42.71 is $46.98: up to the next $5
    assert "This month so far: $24.00" in app.tray.icon.toolTip()
    assert app.tray.state.lines[0].text == "This month so far: $24.00 · no allowance yet"

    app.show_dashboard()
    window = app.dashboard
    assert window.month_card.isVisibleTo(window) and not window.empty.isVisibleTo(window)
    assert window.month_card.amount.text() == "$24.00"
    assert window.chart.series is not None and window.chart.series.limit is None
    assert window.chart.series.total() == int(spent * 1_000_000)
    window.month_card.button.click()
    dialog = app.settings_dialog
    assert dialog is not None and dialog.tabs.currentWidget() is dialog.allowances
    fields = dialog.allowances.fields
    assert (fields.amount.text(), fields.unit.currentText(), fields.cadence.currentText()) == ("50", "usd", "monthly")
    asked: list[list[str]] = []
    dialog.ask = lambda parent, unsaved: asked.append(list(unsaved)) or Answer.DISCARD
    dialog.close()
    assert len(asked) == 1  # the suggested allowance is filled in, not stored: closing asks about it


def test_demo_promise_no_logs_no_allowance_is_an_empty_month(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    assert app.snapshot.month_to_date is None
    app.show_dashboard()
    assert app.dashboard.empty.isVisibleTo(app.dashboard)


def test_compensation_view_loads_when_shown(make_app, app_context) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.settings import Settings

    app_context.save_settings(Settings(timezone="UTC", pay_amount="5400"))
    app = make_app(world.overspent)
    app.show_dashboard()
    window = app.dashboard
    assert window.compensation is None  # nothing computed while the view is not shown
    window.tabs.setCurrentWidget(window.compensation_view)
    view = window.compensation
    assert view is not None
    figures = window.compensation_view.figures
    assert figures["per_month"].text() == "$270.00"
    assert figures["per_year"].text() == "$3,240.00"  # 270 × 12
    assert figures["share_month"].text() == "5.00 %"  # 270 / 5,400
    assert figures["year_consumed"].text() == "$281.74"
    window.hide_amounts.setChecked(True)
    assert figures["per_month"].text() == "•••" and figures["share_month"].text() == "•••"


def test_window_fits_a_1280_by_800_screen(qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.dashboard.window import DEFAULT_SIZE, DashboardWindow

    window = DashboardWindow()
    qtbot.addWidget(window)
    hint = window.minimumSizeHint()
    assert DEFAULT_SIZE[0] <= 1280 - 20 and DEFAULT_SIZE[1] <= 800 - 32 - 40  # a panel and a title bar
    assert hint.width() <= DEFAULT_SIZE[0] and hint.height() <= DEFAULT_SIZE[1]
    screen = window.screen().availableGeometry()
    assert window.width() <= screen.width() and window.height() <= screen.height()


def test_dates_follow_the_locale(qtbot, app_context) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.snapshot import load_snapshot
    from tokenwallet.ui.dashboard.window import DashboardWindow

    world.overspent(app_context)
    snapshot = load_snapshot(app_context, NOW)
    window = DashboardWindow()
    qtbot.addWidget(window)
    before = QLocale()
    try:
        for name, written in (("en_US", "Dec 1, 2026"), ("en_GB", "1 Dec 2026"), ("de_DE", "1. Dez. 2026")):
            QLocale.setDefault(QLocale(name))
            window.show_snapshot(snapshot, NOW)
            assert f"resets {written} (in 16 days)" in window.cards[0].summary.text()
    finally:
        QLocale.setDefault(before)


def test_refreshing_all_day_makes_no_new_objects(qtbot, app_context) -> None:  # type: ignore[no-untyped-def]
    """Each refresh updates the widgets in place: after the first, the window holds the same objects."""
    from tokenwallet.services.snapshot import load_snapshot
    from tokenwallet.ui.dashboard.window import DashboardWindow

    world.overspent(app_context)
    world.provider_limits(app_context)
    snapshot = load_snapshot(app_context, NOW)
    window = DashboardWindow()
    qtbot.addWidget(window)
    window.show()
    hidden = DisplayOptions(hide_amounts=True)
    counts = []
    for i in range(40):
        window.set_options(hidden if i % 2 else DisplayOptions(), demo=False)
        window.show_snapshot(snapshot, NOW)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # as the event loop does between
        QCoreApplication.processEvents()
        # (the style's short-lived animations come and go on their own)
        counts.append(sum(1 for o in window.findChildren(QObject) if not isinstance(o, QAbstractAnimation)))
    assert len(set(counts[2:])) == 1, counts


@pytest.mark.parametrize("size", [16, 22, 24, 32])
def test_status_dot_never_covers_the_number(size: int) -> None:
    from tokenwallet.ui.tray.meter_icon import badge_rect, render_meter
    from tokenwallet.ui.tray.meter_state import Badge, Severity

    dot = badge_rect(size)
    centre, radius = dot.center(), dot.width() / 2
    for percent in (8, 47, 88, 99):
        for badge in (Badge.ERROR, Badge.STALE, Badge.PAUSED):
            number = render_meter(percent, Severity.WARNING, badge, size).toImage()
            blank = render_meter(percent, Severity.WARNING, badge, size, text=False).toImage()
            ink = [
                (x, y) for y in range(size) for x in range(size) if number.pixelColor(x, y) != blank.pixelColor(x, y)
            ]
            assert bool(ink) == (size >= 22)  # the number is written from 22 px up
            for x, y in ink:  # no pixel of the number lies under the dot (or on its edge)
                distance = ((x + 0.5 - centre.x()) ** 2 + (y + 0.5 - centre.y()) ** 2) ** 0.5
                assert distance > radius + 0.5, (size, percent, x, y)
