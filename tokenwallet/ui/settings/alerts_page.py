"""The settings' Alerts page: desktop notifications on or off, quiet hours, and the alert hook.

The rules themselves belong to each allowance (its editor's Alerts section); every new allowance
gets the default ones.  This page decides how alerts reach you.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTime, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTimeEdit,
    QWidget,
)

from tokenwallet.ui.settings.preferences_page import PreferencesPage

if TYPE_CHECKING:
    from tokenwallet.ui.settings.changes import SettingsChanges

ChooseProgram = Callable[[QWidget, str], str | None]
DEFAULTS_TEXT = (
    "Every allowance gets alerts at 80, 95 and 100% used, when it will run out before the reset, and 3 days "
    "before a grant lapses with value unspent. Change them in the allowance's editor (Allowances › Edit "
    "selected…). Each crossing is told once, and again only in the next period."
)


def ask_program(parent: QWidget, start: str) -> str | None:
    """The platform's file picker for the hook program; None when cancelled."""
    chosen, _ = QFileDialog.getOpenFileName(parent, "Choose the program to run for each alert", start)
    return chosen or None


def _hhmm(edit: QTimeEdit) -> str:
    time = edit.time()
    return f"{time.hour():02d}:{time.minute():02d}"


class AlertsPage(PreferencesPage):
    """How alerts reach the user, saved with one button."""

    title = "Alerts"

    def __init__(
        self, changes: SettingsChanges, parent: QWidget | None = None, *, choose_program: ChooseProgram = ask_program
    ) -> None:
        super().__init__(changes, parent)
        self.choose_program = choose_program
        form = QFormLayout(self)
        intro = QLabel(DEFAULTS_TEXT)
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #444;")
        form.addRow(intro)
        self.notifications = QCheckBox("Show desktop notifications for alerts (they are recorded either way)")
        form.addRow("", self.notifications)
        self.quiet = QCheckBox("Quiet hours: hold alerts, then tell them as one summary")
        self.quiet_start = QTimeEdit()
        self.quiet_end = QTimeEdit()
        for edit in (self.quiet_start, self.quiet_end):
            edit.setDisplayFormat("HH:mm")
        hours = QHBoxLayout()
        hours.addWidget(QLabel("from"))
        hours.addWidget(self.quiet_start)
        hours.addWidget(QLabel("to"))
        hours.addWidget(self.quiet_end)
        hours.addStretch(1)
        form.addRow("", self.quiet)
        form.addRow("", hours)
        self.quiet.toggled.connect(self._quiet_toggled)
        self.hook = QLineEdit()
        self.hook.setPlaceholderText("optional: a program run for each alert (no shell), e.g. /usr/local/bin/page-me")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.hook.clear)
        hook_row = QHBoxLayout()
        hook_row.addWidget(self.hook)
        hook_row.addWidget(browse)
        hook_row.addWidget(clear)
        form.addRow("Alert hook", hook_row)
        hook_note = QLabel(
            "It gets the alert's title, text and severity in its environment and as JSON on standard input; "
            "never a key."
        )
        hook_note.setWordWrap(True)
        hook_note.setStyleSheet("color: #666;")
        form.addRow("", hook_note)
        form.addRow(self.button_row())

        self.add(
            "notifications",
            "notifications",
            self.notifications.isChecked,
            self.notifications.setChecked,
            self.notifications,
        )
        self.add("quiet_hours_start", "quiet hours", self._start, self._show_start, self.quiet_start)
        self.add("quiet_hours_end", "quiet hours", self._end, self._show_end, self.quiet_end)
        self.add("alert_hook", "alert hook", lambda: self.hook.text().strip(), self.hook.setText, self.hook)
        self._quiet_toggled(False)

    def _start(self) -> str:
        return _hhmm(self.quiet_start) if self.quiet.isChecked() else ""

    def _end(self) -> str:
        return _hhmm(self.quiet_end) if self.quiet.isChecked() else ""

    def _show_start(self, text: str) -> None:
        self.quiet.setChecked(bool(text))
        self.quiet_start.setTime(QTime.fromString(text or "22:00", "HH:mm"))
        self._quiet_toggled(bool(text))

    def _show_end(self, text: str) -> None:
        self.quiet_end.setTime(QTime.fromString(text or "07:00", "HH:mm"))

    @Slot(bool)
    def _quiet_toggled(self, on: bool) -> None:
        self.quiet_start.setEnabled(on)
        self.quiet_end.setEnabled(on)

    @Slot()
    def _browse(self) -> None:
        chosen = self.choose_program(self, self.hook.text() or "")
        if chosen:
            self.hook.setText(chosen)
