"""The settings window, the allowance editor's alerts and the export dialog on a real X server.

An alert rule added in the editor fires exactly once, as one ``Notify`` on the session bus (seen
by dbus-monitor), when spend recorded from the command line crosses it while the app runs.  Each
settings page is drawn and kept as a screenshot under ``artifacts/screenshots/``; each test also
asserts what its screenshot shows.  Run inside ``bash .ci/desktop-session``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from tests.desktop.screens import dominant, grab_screen, has_colour, save, wait_for

pytestmark = [pytest.mark.desktop, pytest.mark.usefixtures("qapp")]

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
DONE = "#2e7d32"  # a success in a status line
PROBLEM = "#c62828"  # a refusal, or a file that cannot be read
DUNST = "#285577"  # dunst's default background for a normal notification


def _rect_in(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _text_drawn(image: QImage, rect: QRect) -> bool:
    return has_colour(image, "#000000", rect, within=120, at_least=30)


def _on_screen(window: QWidget, qtbot) -> QImage:  # type: ignore[no-untyped-def]
    """``window`` as drawn on the X screen (waits until the screen shows what the window draws)."""
    qtbot.waitExposed(window)
    rect = QRect(window.mapToGlobal(QPoint(0, 0)), window.size())
    background = dominant(window.grab().toImage())
    qtbot.waitUntil(lambda: dominant(grab_screen(), rect) == background, timeout=5000)
    return window.grab().toImage()


@pytest.fixture
def user_home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A private HOME for the agents' settings files, and a tokenwallet home with a $100 allowance."""
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def app(tmp_path, user_home, qtbot):  # type: ignore[no-untyped-def]
    """The tray app on real worker threads, on a home with a $100 monthly allowance and no alert rules."""
    from tokenwallet.app import AppContext
    from tokenwallet.domain.clock import FixedClock
    from tokenwallet.secrets.store import MemorySecretStore
    from tokenwallet.services.allowances import add_allowance
    from tokenwallet.ui.runtime.application import TrayApp
    from tokenwallet.ui.tray.controller import tray_available

    ctx = AppContext.create(str(tmp_path / "tw"), clock=FixedClock(NOW))
    ctx.save_settings(ctx.settings.replace(timezone="UTC"))
    add_allowance(ctx, name="Work", amount="100", cadence="monthly", anchor_day=1, default_alerts=False)
    ctx.close()
    running = TrayApp(ctx, store=MemorySecretStore())
    qtbot.waitUntil(tray_available, timeout=5000)
    running.start(open_dashboard=False)
    qtbot.waitUntil(lambda: running.snapshot is not None, timeout=15000)
    yield running
    for window in (running.settings_dialog, running.export_dialog):
        if window is not None and window.isVisible():
            window.hide()
    running.shutdown()


def _open_settings(app, qtbot, page: int):  # type: ignore[no-untyped-def]
    app.show_settings()
    dialog = app.settings_dialog
    dialog.move(30, 40)
    qtbot.waitUntil(lambda: dialog.changes.data is not None, timeout=10000)
    dialog.tabs.setCurrentIndex(page)
    return dialog


def test_an_alert_added_in_the_editor_fires_once_when_command_line_spend_crosses_it(app, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.alerts.delivery import DbusNotifier, Notice

    dialog = _open_settings(app, qtbot, 1)
    page = dialog.allowances
    qtbot.waitUntil(lambda: page.allowance_list.count() == 1, timeout=10000)
    page.allowance_list.setCurrentRow(0)
    page.edit_allowance()
    qtbot.waitUntil(lambda: page.editor is not None and page.editor.isVisible(), timeout=10000)
    editor = page.editor
    editor.move(40, 60)
    section = editor.alerts
    section.add_button.click()
    qtbot.waitUntil(lambda: section.rule_dialog is not None and section.rule_dialog.isVisible(), timeout=5000)
    rule = section.rule_dialog
    rule.move(500, 200)
    rule.kind.setCurrentIndex(rule.kind.findData("percent"))
    rule.percent.setValue(80)
    save(_on_screen(rule, qtbot), "alert-rule-dialog.png")
    rule.buttons.button(rule.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not rule.isVisible(), timeout=10000)
    assert [section.rules.item(i).text() for i in range(section.rules.count())] == ["80% of the allowance is used"]
    shot = _on_screen(editor, qtbot)
    save(shot, "allowance-editor-alerts.png")
    assert _text_drawn(shot, _rect_in(section.rules, editor))  # the rule is listed on screen
    assert has_colour(shot, DONE, _rect_in(section.status, editor), within=60, at_least=10)  # "Alert added."
    editor.reject()
    dialog.reject()

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
            wait_for(lambda: "member=NameLost" in log.read_text(), timeout=10, what="dbus-monitor")
            # $85 of manual spend from the command line, in another process, while the app runs.
            env = dict(os.environ, TOKENWALLET_NOW=NOW.isoformat())
            command = [sys.executable, "-m", "tokenwallet", "--home", str(app.ctx.paths.home), "usage", "add"]
            added = subprocess.run(
                [*command, "--amount", "85", "--provider", "openai", "--model", "gpt-5"],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            assert added.returncode == 0, added.stderr
            app.poll_due()  # the minute tick (nothing to poll): the app sees the ledger changed
            # (the app's results arrive through the event loop: wait with it turning)
            qtbot.waitUntil(lambda: 'string "Work: 80% used"' in log.read_text(), timeout=20000)
            qtbot.waitUntil(lambda: has_colour(grab_screen(), DUNST, within=30, at_least=2000), timeout=10000)
            save(grab_screen(), "alert-notify-manual-spend.png")
            # More ticks and a Refresh: nothing new to tell.
            for _ in range(2):
                app.poll_due()
                qtbot.waitUntil(lambda: app.bridge.pending() == 0, timeout=15000)
            app.poll_now()
            qtbot.waitUntil(lambda: app.bridge.pending() == 0, timeout=15000)
            # A marker sent after them: every Notify the app made is in the log before it.
            DbusNotifier()(Notice("marker", "end of the test"))
            wait_for(lambda: 'string "marker"' in log.read_text(), timeout=10, what="the marker")
        finally:
            monitor.terminate()
            monitor.wait(timeout=5)
    before_marker = log.read_text().split('string "marker"')[0]
    assert before_marker.count("member=Notify") == 2  # the app's one alert, and the marker itself
    assert before_marker.count('string "Work: 80% used"') == 1
    assert "$85.00 of $100.00 spent (85%); $15.00 left." in before_marker


def test_each_settings_page_on_screen(app, user_home, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.agents.wiring import install_agent
    from tokenwallet.emulator import DEMO_KEYS, start_emulator

    install_agent("claude-code", home=app.ctx.paths.home, statusline=True, guard=False)
    (user_home / ".gemini").mkdir()
    (user_home / ".gemini" / "settings.json").write_text('{"theme": "dark",, }')
    emulator = start_emulator()
    try:
        dialog = _open_settings(app, qtbot, 0)
        shots: dict[str, QImage] = {}

        # Accounts: a new OpenAI account tested before it is added.
        accounts = dialog.accounts
        accounts.account_kind.setCurrentIndex(accounts.account_kind.findData("openai"))
        accounts.account_label.setText("Work OpenAI")
        accounts.account_url.setText(emulator.base_url("openai"))
        accounts.account_key.setText(DEMO_KEYS["openai"])
        accounts.filters["project_id"].setText("proj_mine")  # an org key: only my project's usage
        accounts.test_button.click()
        qtbot.waitUntil(lambda: accounts.test_button.isEnabled() and not accounts.testing, timeout=30000)
        assert dialog.status.text().startswith("OpenAI answered at http://127.0.0.1:")
        shots["accounts"] = _on_screen(dialog, qtbot)
        assert has_colour(shots["accounts"], DONE, _rect_in(dialog.status, dialog), within=60, at_least=10)
        accounts.add_button.click()
        qtbot.waitUntil(lambda: accounts.account() is not None, timeout=10000)  # added, and selected
        assert accounts.mode.text() == "Account: Work OpenAI"
        assert accounts.account_list.currentItem().text().endswith("· only project id proj_mine")

        dialog.tabs.setCurrentIndex(1)
        shots["allowances"] = _on_screen(dialog, qtbot)
        assert _text_drawn(shots["allowances"], _rect_in(dialog.allowances.allowance_list, dialog))

        dialog.tabs.setCurrentIndex(2)
        dialog.alerts.quiet.setChecked(True)
        dialog.alerts.save_button.click()
        qtbot.waitUntil(lambda: app.ctx.settings.quiet_hours_start == "22:00", timeout=10000)
        shots["alerts"] = _on_screen(dialog, qtbot)
        assert has_colour(shots["alerts"], DONE, _rect_in(dialog.status, dialog), within=60, at_least=10)

        dialog.tabs.setCurrentIndex(3)
        agents = dialog.agents
        gemini = agents.boxes["gemini"]
        qtbot.waitUntil(lambda: agents.boxes["claude-code"].statusline.isChecked(), timeout=10000)
        qtbot.waitUntil(gemini.problem.isVisible, timeout=10000)
        shots["agents"] = _on_screen(dialog, qtbot)
        assert has_colour(shots["agents"], PROBLEM, _rect_in(gemini.problem, dialog), within=60, at_least=10)
        assert not gemini.guard.isEnabled()

        dialog.tabs.setCurrentIndex(4)
        policy = dialog.policy
        policy.open_file(str(EXAMPLES / "example-corp-policy.toml"))
        qtbot.waitUntil(lambda: policy.plan is not None, timeout=10000)
        shots["policy-preview"] = _on_screen(dialog, qtbot)
        assert _text_drawn(shots["policy-preview"], _rect_in(policy.preview, dialog))
        assert policy.apply_button.isVisible() and "create allowance 'AI compute'" in policy.preview.toPlainText()

        dialog.tabs.setCurrentIndex(5)
        dialog.general.pay_amount.setText("6000")
        shots["general"] = _on_screen(dialog, qtbot)
        assert _text_drawn(shots["general"], _rect_in(dialog.general.pay_amount, dialog))

        for name, shot in shots.items():
            save(shot, f"settings-{name}.png")
        assert len({shot.cacheKey() for shot in shots.values()}) == len(shots)
        policy.cancel()
        dialog.general.discard()
        dialog.reject()
        assert not dialog.isVisible()
        assert json.loads((user_home / ".claude" / "settings.json").read_text())["statusLine"]["command"].endswith(
            "statusline"
        )
    finally:
        emulator.stop()


def test_the_export_dialog_says_where_the_report_went(app, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.reports.export_dialog import ReportExportDialog

    target = tmp_path / "reports" / "work-november.csv"
    target.parent.mkdir()
    opened: list[Path] = []
    dialog = ReportExportDialog(
        app.data_ctx,
        app.bridge,
        choose_path=lambda *a: str(target),
        show_folder=lambda folder: opened.append(folder) or True,
    )
    app.export_dialog = dialog
    dialog.move(60, 60)
    dialog.show()
    dialog.format.setCurrentIndex(1)  # CSV
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.written == target, timeout=30000)
    shot = _on_screen(dialog, qtbot)
    save(shot, "export-dialog-saved.png")
    assert dialog.isVisible() and dialog.open_button.isVisible()
    assert dialog.status.text() == f"Saved work-november.csv in the folder\n{target.parent}"
    assert has_colour(shot, DONE, _rect_in(dialog.status, dialog), within=60, at_least=10)
    dialog.open_button.click()
    assert opened == [target.parent]
    dialog.close()
