"""The dashboard on a real X server: each state a person meets, screenshotted and checked in the picture.

Run inside the desktop session: ``bash .ci/desktop-session python -m pytest tests/desktop``.
Screenshots go to ``artifacts/screenshots/`` (dashboard-normal, -overspent, -gateway, -hidden-amounts,
-inr, compensation, provider-limits, first-start, tray-icon-22px-overspent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from tests.desktop.screens import colours, grab_screen, has_colour, save
from tests.ui import dashboard_world as world

pytestmark = [pytest.mark.desktop, pytest.mark.usefixtures("qapp")]

MARKER = "#263238"  # the pace marker
SPENT = "#00897b"  # spend so far on the chart
BARS = "#5c6bc0"  # daily bars
EXHAUSTED = "#b71c1c"


def _rect_in(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _text_drawn(image: QImage, rect: QRect) -> bool:
    return has_colour(image, "#000000", rect, within=120, at_least=20)


@pytest.fixture
def open_dashboard(qtbot, tmp_path) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """Build a ledger, start the tray app on it with a fixed clock and open its dashboard at the top left."""
    from tokenwallet.app import AppContext
    from tokenwallet.domain.clock import FixedClock
    from tokenwallet.secrets.store import MemorySecretStore
    from tokenwallet.settings import Settings
    from tokenwallet.ui.runtime.application import TrayApp
    from tokenwallet.ui.runtime.bridge import InlineExecutor

    made: list[tuple[TrayApp, AppContext]] = []

    def make(*builders, settings: Settings | None = None):  # type: ignore[no-untyped-def]
        ctx = AppContext.create(str(tmp_path / f"home{len(made)}"), clock=FixedClock(world.NOW))
        ctx.save_settings(settings or Settings(timezone="UTC", import_local_logs=False))
        for build in builders:
            build(ctx)
        app = TrayApp(ctx, executor=InlineExecutor(), store=MemorySecretStore())
        made.append((app, ctx))
        app.refresh()
        app.show_dashboard()
        window = app.dashboard
        window.move(0, 0)
        qtbot.waitExposed(window)
        return app

    yield make
    for app, ctx in made:
        app.shutdown()
        ctx.shutdown()


def _shown(qtbot, window: QWidget, colour: str) -> QImage:  # type: ignore[no-untyped-def]
    """The window as the screen shows it, once ``colour`` (something it draws) is on the screen."""
    area = QRect(window.mapToGlobal(QPoint(0, 0)), window.size())
    qtbot.waitUntil(lambda: has_colour(grab_screen(), colour, area, within=8, at_least=20), timeout=5000)
    return window.grab().toImage()


def test_normal_dashboard(open_dashboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    app = open_dashboard(world.normal)
    window = app.dashboard
    card = window.cards[0]
    card.how.setChecked(True)
    shot = _shown(qtbot, window, BARS)
    save(shot, "dashboard-normal.png")
    assert card.fields["Spent"].text() == "$45.50 *"
    assert has_colour(shot, MARKER, _rect_in(card.bar, window), within=10, at_least=10)  # the pace marker
    assert has_colour(shot, "#dfe3e6", _rect_in(card.bar, window), at_least=200)  # the empty track shows
    assert has_colour(shot, SPENT, _rect_in(window.chart, window), within=10, at_least=50)
    assert has_colour(shot, "#b39ddb", _rect_in(window.chart, window), within=60, at_least=5)  # an estimate
    assert len(colours(shot, _rect_in(card.counting, window))) > 10  # the muted lines are written


def test_overspent_dashboard_and_provider_limits(open_dashboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    app = open_dashboard(world.overspent, world.provider_limits)
    window = app.dashboard
    card = window.cards[0]
    shot = _shown(qtbot, window, EXHAUSTED)
    save(shot, "dashboard-overspent.png")
    assert card.summary.text().startswith("Over the allowance by $11.74")
    assert has_colour(shot, EXHAUSTED, _rect_in(card.bar, window), within=10, at_least=200)
    assert has_colour(shot, EXHAUSTED, _rect_in(card.fields["Remaining"], window), within=60, at_least=5)
    limits = _rect_in(window.limits_scroll, window)
    save(shot.copy(limits), "provider-limits.png")
    assert _text_drawn(shot, limits)
    assert has_colour(shot, "#43a047", limits, within=10, at_least=50)  # the limits' own bars
    app.tray.rebuild_menu()  # as when the menu opens
    assert "Provider limits" in app.tray.action_texts()


def test_gateway_backed_dashboard(open_dashboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    app = open_dashboard(world.gateway)
    window = app.dashboard
    card = window.cards[0]
    shot = _shown(qtbot, window, SPENT)
    save(shot, "dashboard-gateway.png")
    assert card.fields["Spent"].text() == "$23.50" and card.summary.text().startswith("47% used")
    assert "(in 1.4 days)" in card.summary.text()
    assert _text_drawn(shot, _rect_in(card.fields["Spent"], window))


def test_hidden_amounts_and_inr(open_dashboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.settings import Settings

    app = open_dashboard(world.overspent, world.provider_limits)
    window = app.dashboard
    card = window.cards[0]
    shown = _shown(qtbot, window, EXHAUSTED)
    window.hide_amounts.setChecked(True)
    qtbot.waitUntil(lambda: card.fields["Spent"].text() == "•••", timeout=5000)
    hidden = window.grab().toImage()
    save(hidden, "dashboard-hidden-amounts.png")
    spent = _rect_in(card.fields["Spent"], window)
    assert colours(hidden, spent) != colours(shown, spent)
    assert all("$" not in label.text() for label in window.findChildren(type(card.summary)) if label.isVisible())
    window.hide_amounts.setChecked(False)

    inr = Settings(timezone="Asia/Kolkata", display_currency="INR", currency_rate="83.2", number_grouping="indian")
    app = open_dashboard(world.overspent, settings=inr)
    window = app.dashboard
    shot = _shown(qtbot, window, EXHAUSTED)
    save(shot, "dashboard-inr.png")
    # $281.74 at ₹83.20 is ₹23,440.77 (written the Indian way: lakh groups start above 99,999)
    assert window.cards[0].fields["Spent"].text() == "₹23,440.77"
    assert window.chart.series is not None and window.chart.fmt.currency == "INR"


def test_compensation_view(open_dashboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.settings import Settings

    app = open_dashboard(world.normal, settings=Settings(timezone="UTC", pay_amount="6000"))
    window = app.dashboard
    window.tabs.setCurrentWidget(window.compensation_view)
    view = window.compensation_view
    qtbot.waitUntil(lambda: window.compensation is not None, timeout=5000)
    shot = _shown(qtbot, window, "#00897b")
    save(shot, "compensation.png")
    assert view.figures["per_month"].text() == "$120.00"
    assert view.figures["share_month"].text() == "2.00 %"  # 120 / 6,000
    assert has_colour(shot, "#00897b", _rect_in(view.bar, window), within=10, at_least=20)  # spent this year
    assert _text_drawn(shot, _rect_in(view.table, window))


def test_first_start_with_logs(open_dashboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    app = open_dashboard(world.logs_only)
    window = app.dashboard
    shot = _shown(qtbot, window, SPENT)
    save(shot, "first-start.png")
    card = window.month_card
    assert card.isVisible() and card.amount.text() == "$24.00"
    assert _text_drawn(shot, _rect_in(card.button, window))
    assert has_colour(shot, "#b39ddb", _rect_in(window.chart, window), within=60, at_least=5)  # estimated bars


def test_tray_icon_at_22_px_shows_overspent_with_its_dot_clear_of_the_mark(open_dashboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.controller import tray_available
    from tokenwallet.ui.tray.meter_icon import BADGE_COLOURS
    from tokenwallet.ui.tray.meter_state import Badge, Severity

    qtbot.waitUntil(tray_available, timeout=5000)
    app = open_dashboard(world.overspent)
    app.dashboard.hide()
    app.start(open_dashboard=False)
    app.poll_error = "the last poll failed"
    app.render()
    tray = app.tray
    assert tray.state.severity is Severity.EXHAUSTED and tray.state.badge is Badge.ERROR
    qtbot.waitUntil(lambda: tray.icon.geometry().x() > 0, timeout=5000)  # docked in the panel (top right)
    geometry = tray.icon.geometry()
    qtbot.waitUntil(lambda: has_colour(grab_screen(), EXHAUSTED, geometry, within=8, at_least=10), timeout=5000)
    icon = grab_screen().copy(geometry)
    save(icon.scaled(icon.width() * 8, icon.height() * 8), "tray-icon-22px-overspent.png")
    assert has_colour(icon, BADGE_COLOURS[Badge.ERROR], geometry.translated(-geometry.topLeft()), within=10)
    assert "over the allowance" in tray.icon.toolTip()
