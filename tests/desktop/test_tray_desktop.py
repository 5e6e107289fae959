"""The tray app on a real X server with a tray host: docking, the right-click menu, the windows, single instance.

Run inside the desktop session: ``bash .ci/desktop-session python -m pytest tests/desktop``.
Screenshots go to ``artifacts/screenshots/`` for a person to look at; each test also asserts what
its screenshot shows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from tests.desktop.screens import colours, dominant, grab_screen, has_colour, save, wait_for

pytestmark = [pytest.mark.desktop, pytest.mark.usefixtures("qapp")]

BARS = "#5c6bc0"  # the spend chart's daily bars
DONE = "#2e7d32"  # the settings' status line after a success


def _rect_in(widget: QWidget, window: QWidget) -> QRect:
    """Where ``widget`` lies inside ``window`` (for a region of ``window.grab()``)."""
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _on_screen(window: QWidget) -> QRect:
    return QRect(window.mapToGlobal(QPoint(0, 0)), window.size())


def _text_drawn(image: QImage, rect: QRect) -> bool:
    """True when ``rect`` holds dark text pixels (a list or label with words in it)."""
    return has_colour(image, "#000000", rect, within=120, at_least=30)


@pytest.fixture
def demo_app(qtbot):  # type: ignore[no-untyped-def]
    from tokenwallet.services.first_run import cleanup_demo_home, demo_context
    from tokenwallet.ui.runtime.application import TrayApp
    from tokenwallet.ui.tray.controller import tray_available

    ctx = demo_context()
    app = TrayApp(ctx, demo=True)
    qtbot.waitUntil(tray_available, timeout=5000)
    app.start(open_dashboard=False)
    qtbot.waitUntil(lambda: app.snapshot is not None and app.tray.state is not None, timeout=15000)
    yield app
    app.shutdown()
    cleanup_demo_home(ctx)


def test_icon_docks_and_right_click_shows_allowances(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.meter_icon import COLOURS

    tray = demo_app.tray
    qtbot.waitUntil(lambda: tray.icon.geometry().width() > 0, timeout=5000)
    geometry = tray.icon.geometry()
    assert geometry.top() < 40  # docked in the panel at the top edge
    wanted = COLOURS[tray.state.severity]
    # The icon's ring carries the state colour: wait until the host has painted it, then keep the picture.
    qtbot.waitUntil(lambda: has_colour(grab_screen(), wanted, geometry, within=6), timeout=5000)
    save(grab_screen().copy(geometry.adjusted(-4, -4, 4, 4)).scaled(160, 160), "tray-icon-zoomed.png")

    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is needed for a real right click")
    centre = geometry.center()
    subprocess.run(["xdotool", "mousemove", str(centre.x()), str(centre.y()), "click", "3"], check=True)
    qtbot.waitUntil(tray.menu.isVisible, timeout=5000)
    menu = tray.menu.geometry()
    background = dominant(tray.menu.grab().toImage())  # what the menu draws ...
    qtbot.waitUntil(lambda: dominant(grab_screen(), menu) == background, timeout=5000)  # ... is on the screen
    shot = grab_screen()
    save(shot, "tray-menu.png")
    texts = tray.action_texts()
    assert texts[0].startswith("Demo data")
    assert any(t.startswith("Demo: monthly AI allowance: $") and "% used" in t for t in texts)
    assert "Refresh now" in texts and "Quit" in texts
    line = demo_app.tray.state.lines[0]
    assert has_colour(shot, COLOURS[line.severity], menu, within=6, at_least=20)  # the allowance's state dot
    tray.menu.hide()


def test_dashboard_opens_with_chart(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    demo_app.show_dashboard()
    window = demo_app.dashboard
    window.move(0, 0)
    qtbot.waitExposed(window)
    assert window.chart is not None and "Spent so far" in window.chart.series_names
    assert window.demo_label.isVisible()
    card = window.cards[0]
    assert card.fields["Remaining"].text().startswith("$")
    qtbot.waitUntil(lambda: has_colour(grab_screen(), BARS, _on_screen(window), at_least=50), timeout=5000)
    save(grab_screen(), "dashboard-screen.png")
    shown = window.grab().toImage()
    save(shown, "dashboard.png")
    assert has_colour(shown, BARS, _rect_in(window.chart, window), at_least=50)  # the daily bars are drawn
    assert _text_drawn(shown, _rect_in(card.fields["Remaining"], window))
    window.hide_amounts.setChecked(True)
    qtbot.waitUntil(lambda: card.fields["Remaining"].text() == "•••", timeout=5000)
    hidden = window.grab().toImage()
    save(hidden, "dashboard-hidden-amounts.png")
    remaining = _rect_in(card.fields["Remaining"], window)
    assert colours(hidden, remaining) != colours(shown, remaining)  # the figure is masked in the picture too
    window.hide_amounts.setChecked(False)


def test_settings_window(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    demo_app.show_settings()
    dialog = demo_app.settings_dialog
    dialog.move(40, 40)
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.allowances.allowance_list.count() > 0, timeout=10000)
    pages = {"accounts": dialog.accounts, "allowances": dialog.allowances, "general": dialog.general}
    shots: dict[str, QImage] = {}
    for name, page in pages.items():
        dialog.tabs.setCurrentWidget(page)
        qtbot.waitUntil(page.isVisible, timeout=5000)
        shots[name] = dialog.grab().toImage()
        save(shots[name], f"demo-settings-{name}.png")
    first, second, third = shots.values()
    assert first != second and second != third and first != third  # three different pages were drawn
    accounts, allowances = dialog.accounts.account_list, dialog.allowances.allowance_list
    assert _text_drawn(shots["accounts"], _rect_in(accounts, dialog))  # the demo accounts are listed
    assert _text_drawn(shots["allowances"], _rect_in(allowances, dialog))  # and the demo allowance
    dialog.close()


def test_demo_user_adds_allowance_and_meter_moves(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    demo_app.show_settings()
    dialog = demo_app.settings_dialog
    dialog.tabs.setCurrentIndex(1)
    page = dialog.allowances
    qtbot.waitUntil(lambda: page.buttons[0].isEnabled(), timeout=10000)
    page.fields.name.setText("My test allowance")
    page.fields.amount.setText("500")
    page.buttons[0].click()
    qtbot.waitUntil(lambda: any(s.name == "My test allowance" for s in demo_app.snapshot.statuses), timeout=10000)
    mine = next(s for s in demo_app.snapshot.statuses if s.name == "My test allowance")
    demo_app.demo_tick()
    qtbot.waitUntil(
        lambda: next(s for s in demo_app.snapshot.statuses if s.name == "My test allowance").spent > mine.spent,
        timeout=10000,
    )
    dialog.close()


def _launch(home: str, module: str = "tokenwallet") -> subprocess.Popen[str]:
    env = dict(os.environ, TOKENWALLET_STARTUP_PROBE="1")
    cmd = [sys.executable, "-m", module, "--home", home, "--background"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _stop(launch: subprocess.Popen[str]) -> tuple[str, str]:
    """End ``launch`` if it still runs (SIGTERM: a clean quit, which waits up to 5 s for a running poll)."""
    if launch.returncode is None and launch.poll() is None:
        launch.terminate()
    if launch.stdout is None or launch.stdout.closed:
        launch.wait(30)
        return "", ""
    try:
        return launch.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        launch.kill()
        launch.communicate()
        raise


def _visible_windows(pid: int, title: str) -> list[QRect]:
    """Where the visible X windows of process ``pid`` titled ``title`` are (the tray icon's own included)."""
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--pid", str(pid), "--name", f"^{title}$"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    rects = []
    for window in found.stdout.split():
        shell = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", window], capture_output=True, text=True, timeout=10
        ).stdout
        box = dict(line.split("=", 1) for line in shell.split())
        if box:
            rects.append(QRect(int(box["X"]), int(box["Y"]), int(box["WIDTH"]), int(box["HEIGHT"])))
    return rects


def _dashboards(pid: int) -> list[QRect]:
    return [rect for rect in _visible_windows(pid, "tokenwallet") if rect.width() >= 400]


def test_command_starts_tray_and_second_launch_wakes_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = _launch(str(tmp_path))
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "tray-icon-visible"
        second = _launch(str(tmp_path))
        out, err = second.communicate(timeout=30)
        assert second.returncode == 0, err
        assert "already running" in out
        assert first.poll() is None  # the first one keeps running
    finally:
        _stop(first)


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool finds the dashboard window")
def test_two_launches_in_quick_succession_make_one_instance_that_shows_its_dashboard(tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Both start at once, before either has drawn its icon: one runs, the other brings its dashboard forward."""
    launches = [_launch(str(tmp_path)), _launch(str(tmp_path))]
    try:
        wait_for(lambda: any(p.poll() is not None for p in launches), timeout=30, what="one launch to end")
        ended = [p for p in launches if p.poll() is not None]
        assert len(ended) == 1, "both launches ended"
        [second] = ended
        [first] = [p for p in launches if p is not second]
        out, err = _stop(second)
        assert second.returncode == 0, err
        assert out.strip() == "tokenwallet is already running; its dashboard was brought forward."
        assert first.poll() is None  # exactly one instance runs
        wait_for(lambda: bool(_dashboards(first.pid)), timeout=20, what="the dashboard")
        [rect] = _dashboards(first.pid)
        # The window is painted (its title, cards and tables, not a blank rectangle): a person sees the dashboard.
        qtbot.waitUntil(
            lambda: len(colours(grab_screen(), rect)) > 20 and _text_drawn(grab_screen(), rect), timeout=10000
        )
        save(grab_screen(), "second-launch-dashboard.png")
    finally:
        for launch in launches:
            _stop(launch)
    assert [launch.returncode for launch in launches] == [0, 0]  # SIGTERM quits cleanly


def test_fast_start_and_cli_start_are_the_same_instance(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``python -m tokenwallet.ui`` and the ``tokenwallet`` command agree on the single instance."""
    first = _launch(str(tmp_path), "tokenwallet.ui")
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "tray-icon-visible"
        for module in ("tokenwallet", "tokenwallet.ui"):
            second = _launch(str(tmp_path), module)
            out, err = second.communicate(timeout=30)
            assert second.returncode == 0 and "already running" in out, err
        assert first.poll() is None
    finally:
        _stop(first)
    assert first.returncode == 0  # SIGTERM quits cleanly


def test_tray_app_writes_its_log_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The tray app (fast start) logs to logs/tokenwallet.log under its home, privately."""
    import stat

    log_file = tmp_path / "home" / "logs" / "tokenwallet.log"
    user = tmp_path / "user"  # no agent logs here, so the first run has no data of its own
    user.mkdir()
    env = dict(os.environ, TOKENWALLET_STARTUP_PROBE="1", HOME=str(user))
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_DIR", "XDG_CONFIG_HOME"):
        env.pop(name, None)
    app = subprocess.Popen(
        [sys.executable, "-m", "tokenwallet.ui", "--home", str(tmp_path / "home"), "--background"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert app.stdout is not None
        assert app.stdout.readline().strip() == "tray-icon-visible"

        def logged() -> bool:
            assert app.poll() is None, "the tray app exited"
            return "showing the demo data" in (log_file.read_text() if log_file.exists() else "")

        # a first run with no data of its own says so at INFO level, once the app has started
        wait_for(logged, timeout=30, what="the log line")
    finally:
        _stop(app)
    assert app.returncode == 0
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700


def test_editing_an_allowance_moves_the_meter(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Double the demo allowance in the edit dialog: the share used on the icon falls by about half."""
    demo_app.ctx = demo_app.data_ctx  # edit the demo home's own allowance
    demo_app.demo_timer.stop()  # no demo spend while we compare
    qtbot.waitUntil(lambda: demo_app.bridge.pending() == 0, timeout=10000)
    demo_app.refresh()
    qtbot.waitUntil(lambda: demo_app.bridge.pending() == 0, timeout=10000)
    before = demo_app.tray.state.percent
    assert before is not None and before > 0
    demo_app.show_settings()
    dialog = demo_app.settings_dialog
    dialog.move(20, 40)
    dialog.tabs.setCurrentIndex(1)
    page = dialog.allowances
    qtbot.waitUntil(lambda: page.allowance_list.count() > 0, timeout=10000)
    page.allowance_list.setCurrentRow(0)
    page.edit_allowance()
    qtbot.waitUntil(lambda: page.editor is not None and page.editor.isVisible(), timeout=10000)
    editor = page.editor
    editor.move(660, 60)
    qtbot.waitExposed(editor)
    amount = float(editor.amount.text())
    editor.amount.setText(f"{amount * 2:g}")
    background = dominant(editor.grab().toImage())
    qtbot.waitUntil(lambda: dominant(grab_screen(), _on_screen(editor)) == background, timeout=5000)
    save(grab_screen(), "allowance-edit-screen.png")
    picture = editor.grab().toImage()
    save(picture, "allowance-edit.png")
    assert _text_drawn(picture, _rect_in(editor.amount, editor))  # the new amount is in the field
    editor.save()
    # The demo's own grants stay, so the share used falls to a bit more than half.
    qtbot.waitUntil(lambda: (demo_app.tray.state.percent or 100) < before * 0.6, timeout=10000)
    qtbot.waitUntil(lambda: f"${amount * 2:,.2f} monthly" in page.allowance_list.item(0).text(), timeout=10000)
    dialog.close()


def test_connection_test_shows_its_result_in_the_settings(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    demo_app.ctx = demo_app.data_ctx  # the demo home holds the emulator-backed OpenAI account
    demo_app.show_settings()
    dialog = demo_app.settings_dialog
    dialog.move(40, 40)
    dialog.tabs.setCurrentIndex(0)
    page = dialog.accounts
    qtbot.waitUntil(lambda: page.account_list.count() > 0, timeout=10000)
    rows = [page.account_list.item(i) for i in range(page.account_list.count())]
    openai = next(i for i, item in enumerate(rows) if "(OpenAI)" in item.text())
    page.account_list.setCurrentRow(openai)
    assert rows[openai].data(Qt.ItemDataRole.UserRole)
    page.test_button.click()
    assert not page.test_button.isEnabled()
    qtbot.waitUntil(page.test_button.isEnabled, timeout=20000)
    assert dialog.status.text() == "The provider answered: the key works."
    qtbot.waitExposed(dialog)
    status = _rect_in(dialog.status, dialog)
    qtbot.waitUntil(lambda: has_colour(dialog.grab().toImage(), DONE, status, within=60, at_least=10), timeout=5000)
    save(dialog.grab().toImage(), "settings-test-connection.png")
    dialog.close()
