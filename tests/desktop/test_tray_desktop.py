"""The tray app on a real X server with a tray host: docking, the right-click menu, the dashboard.

Run inside the desktop session: ``bash .ci/desktop-session python -m pytest tests/desktop``.
Screenshots go to ``artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.desktop, pytest.mark.usefixtures("qapp")]

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _grab_screen(name: str) -> Path:
    from PySide6.QtGui import QGuiApplication

    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    assert QGuiApplication.primaryScreen().grabWindow(0).save(str(path))
    return path


@pytest.fixture
def demo_app(qtbot):  # type: ignore[no-untyped-def]
    from tokenwallet.services.first_run import cleanup_demo_home, demo_context
    from tokenwallet.ui.application import TrayApp

    ctx = demo_context()
    app = TrayApp(ctx, demo=True)
    qtbot.waitUntil(lambda: __import__("tokenwallet.ui.tray", fromlist=["x"]).tray_available(), timeout=5000)
    app.start(open_dashboard=False)
    qtbot.waitUntil(lambda: app.snapshot is not None and app.tray.state is not None, timeout=15000)
    yield app
    app.demo_timer.stop()
    app.poll_timer.stop()
    app.wake_timer.stop()
    for emulator in app.emulators:
        emulator.stop()
    app.bridge.executor.wait(5000)  # type: ignore[attr-defined]
    app.tray.icon.hide()
    if app.dashboard is not None:
        app.dashboard.hide()
    ctx.close()
    cleanup_demo_home(ctx)


def test_icon_docks_and_right_click_shows_allowances(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QGuiApplication

    tray = demo_app.tray
    qtbot.waitUntil(lambda: tray.icon.geometry().width() > 0, timeout=5000)
    geometry = tray.icon.geometry()
    assert geometry.top() < 40  # docked in the panel at the top edge
    qtbot.wait(300)
    screen = QGuiApplication.primaryScreen().grabWindow(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    icon_shot = screen.copy(geometry.adjusted(-4, -4, 4, 4)).scaled(160, 160)
    icon_shot.save(str(SHOTS / "tray-icon-zoomed.png"))
    # The icon's ring carries the state colour: find it in the docked pixels.
    from tokenwallet.ui.meter_icon import COLOURS

    wanted = COLOURS[tray.state.severity]
    docked = screen.copy(geometry).toImage()
    colours = {docked.pixelColor(x, y).name() for x in range(docked.width()) for y in range(docked.height())}
    assert wanted in colours

    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is needed for a real right click")
    centre = geometry.center()
    subprocess.run(["xdotool", "mousemove", str(centre.x()), str(centre.y()), "click", "3"], check=True)
    qtbot.waitUntil(tray.menu.isVisible, timeout=5000)
    qtbot.wait(300)
    _grab_screen("tray-menu.png")
    texts = tray.action_texts()
    assert texts[0].startswith("Demo data")
    assert any(t.startswith("Demo: monthly AI allowance: $") and "% used" in t for t in texts)
    assert "Refresh now" in texts and "Quit" in texts
    tray.menu.hide()


def test_dashboard_opens_with_chart(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    demo_app.show_dashboard()
    window = demo_app.dashboard
    window.move(0, 0)
    qtbot.waitExposed(window)
    assert window.chart is not None and "Spent so far" in window.chart.series_names
    assert window.demo_label.isVisible()
    assert window.cards[0].fields["Remaining"].text().startswith("$")
    qtbot.wait(500)
    _grab_screen("dashboard-screen.png")
    window.grab().save(str(SHOTS / "dashboard.png"))
    window.hide_amounts.setChecked(True)
    qtbot.wait(200)
    window.grab().save(str(SHOTS / "dashboard-hidden-amounts.png"))
    window.hide_amounts.setChecked(False)


def test_settings_window(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    demo_app.show_settings()
    dialog = demo_app.settings_dialog
    dialog.move(40, 40)
    qtbot.waitExposed(dialog)
    dialog.tabs.setCurrentIndex(1)
    qtbot.wait(200)
    dialog.grab().save(str(SHOTS / "settings-allowances.png"))
    dialog.tabs.setCurrentIndex(0)
    qtbot.wait(100)
    dialog.grab().save(str(SHOTS / "settings-accounts.png"))
    dialog.close()


def test_demo_user_adds_allowance_and_meter_moves(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    demo_app.show_settings()
    dialog = demo_app.settings_dialog
    dialog.tabs.setCurrentIndex(1)
    dialog.allowance_name.setText("My test allowance")
    dialog.allowance_amount.setText("500")
    dialog._add_allowance()
    qtbot.waitUntil(lambda: any(s.name == "My test allowance" for s in demo_app.snapshot.statuses), timeout=10000)
    mine = next(s for s in demo_app.snapshot.statuses if s.name == "My test allowance")
    demo_app.demo_tick()
    qtbot.waitUntil(
        lambda: next(s for s in demo_app.snapshot.statuses if s.name == "My test allowance").spent > mine.spent,
        timeout=10000,
    )
    dialog.close()


def test_command_starts_tray_and_second_launch_wakes_it(tmp_path) -> None:
    import os
    import sys

    env = dict(os.environ, TOKENWALLET_STARTUP_PROBE="1")
    cmd = [sys.executable, "-m", "tokenwallet", "--home", str(tmp_path), "--background"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "tray-icon-visible"
        second = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env)
        assert second.returncode == 0
        assert "already running" in second.stdout
        assert first.poll() is None  # the first one keeps running
    finally:
        first.terminate()
        first.wait(10)


def test_fast_start_and_cli_start_are_the_same_instance(tmp_path) -> None:
    """The bare-command fast path and the click path agree on the single-instance socket."""
    import os
    import sys

    env = dict(os.environ, TOKENWALLET_STARTUP_PROBE="1")
    home = ["--home", str(tmp_path), "--background"]
    first = subprocess.Popen(
        [sys.executable, "-m", "tokenwallet.ui", *home], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "tray-icon-visible"
        for cmd in ([sys.executable, "-m", "tokenwallet", *home], [sys.executable, "-m", "tokenwallet.ui", *home]):
            second = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env)
            assert second.returncode == 0 and "already running" in second.stdout, second.stderr
        assert first.poll() is None
    finally:
        first.terminate()
        assert first.wait(10) == 0  # SIGTERM quits cleanly


def test_tray_app_writes_its_log_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The tray app (fast start) logs to logs/tokenwallet.log under its home, privately."""
    import os
    import stat
    import sys
    import time

    log_file = tmp_path / "home" / "logs" / "tokenwallet.log"
    user = tmp_path / "user"  # no agent logs here, so the first run has no data of its own
    user.mkdir()
    env = dict(os.environ, TOKENWALLET_STARTUP_PROBE="1", HOME=str(user))
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_DIR", "XDG_CONFIG_HOME"):
        env.pop(name, None)
    app = subprocess.Popen(
        [sys.executable, "-m", "tokenwallet.ui", "--home", str(tmp_path / "home"), "--background"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert app.stdout is not None
        assert app.stdout.readline().strip() == "tray-icon-visible"
        deadline = time.monotonic() + 30
        # a first run with no data of its own says so at INFO level, once the app has started
        while "showing the demo data" not in (log_file.read_text() if log_file.exists() else ""):
            assert time.monotonic() < deadline, "no log line within 30 s"
            assert app.poll() is None, "the tray app exited"
            time.sleep(0.1)
    finally:
        app.terminate()
        assert app.wait(10) == 0
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700


def test_editing_an_allowance_moves_the_meter(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Double the demo allowance in the edit dialog: the share used on the icon falls by about half."""
    demo_app.ctx = demo_app.data_ctx  # edit the demo home's own allowance
    demo_app.demo_timer.stop()  # no demo spend while we compare
    qtbot.wait(300)
    demo_app.refresh()
    qtbot.waitUntil(lambda: not demo_app.bridge.busy("snapshot"), timeout=10000)
    before = demo_app.tray.state.percent
    assert before is not None and before > 0
    demo_app.show_settings()
    dialog = demo_app.settings_dialog
    dialog.move(20, 40)
    dialog.tabs.setCurrentIndex(1)
    dialog.allowance_list.setCurrentRow(0)
    dialog.edit_allowance()
    editor = dialog.allowance_editor
    editor.move(660, 60)
    qtbot.waitExposed(editor)
    amount = float(editor.amount.text())
    editor.amount.setText(f"{amount * 2:g}")
    qtbot.wait(200)
    _grab_screen("allowance-edit-screen.png")
    editor.grab().save(str(SHOTS / "allowance-edit.png"))
    assert editor.save()
    # The demo's own grants stay, so the share used falls to a bit more than half.
    qtbot.waitUntil(lambda: (demo_app.tray.state.percent or 100) < before * 0.6, timeout=10000)
    assert f"${amount * 2:,.2f} monthly" in dialog.allowance_list.item(0).text()
    dialog.close()


def test_connection_test_shows_its_result_in_the_settings(demo_app, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    demo_app.ctx = demo_app.data_ctx  # the demo home holds the emulator-backed OpenAI account
    demo_app.show_settings()
    dialog = demo_app.settings_dialog
    dialog.move(40, 40)
    dialog.tabs.setCurrentIndex(0)
    rows = [dialog.account_list.item(i) for i in range(dialog.account_list.count())]
    openai = next(i for i, item in enumerate(rows) if "(openai)" in item.text())
    dialog.account_list.setCurrentRow(openai)
    assert rows[openai].data(Qt.ItemDataRole.UserRole)
    dialog.test_button.click()
    assert not dialog.test_button.isEnabled()
    qtbot.waitUntil(dialog.test_button.isEnabled, timeout=20000)
    assert dialog.status.text() == "The provider answered: the key works."
    qtbot.wait(200)
    dialog.grab().save(str(SHOTS / "settings-test-connection.png"))
    dialog.close()
