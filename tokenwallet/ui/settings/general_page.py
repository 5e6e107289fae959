"""The settings' General page: poll interval, time zone, display currency, notifications, start at login."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLineEdit, QPushButton, QSpinBox, QWidget

from tokenwallet.services.preferences import save_preferences

if TYPE_CHECKING:
    from tokenwallet.ui.settings.changes import SettingsChanges, SettingsData

CURRENCIES = ("USD", "EUR", "GBP", "INR", "JPY", "CAD", "AUD", "CHF")


class GeneralPage(QWidget):
    """Options of the whole app, saved together with one button."""

    def __init__(self, changes: SettingsChanges, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.changes = changes
        form = QFormLayout(self)
        self.poll_minutes = QSpinBox()
        self.poll_minutes.setRange(1, 24 * 60)
        self.poll_minutes.setSuffix(" min")
        self.timezone = QLineEdit()
        self.timezone.setPlaceholderText("system zone; or e.g. Europe/Berlin, Asia/Kolkata")
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.addItems(CURRENCIES)
        self.rate = QLineEdit()
        self.rate.setToolTip("How many units of the display currency one US dollar buys, e.g. 83.2 for INR")
        self.grouping = QComboBox()
        self.grouping.addItem("1,234,567 (western)", "western")
        self.grouping.addItem("12,34,567 (Indian lakh)", "indian")
        self.notifications = QCheckBox("Show desktop notifications for alerts")
        self.start_at_login = QCheckBox("Start tokenwallet when I log in")
        form.addRow("Poll every", self.poll_minutes)
        form.addRow("Time zone", self.timezone)
        form.addRow("Display currency", self.currency)
        form.addRow("Rate per USD", self.rate)
        form.addRow("Digit grouping", self.grouping)
        form.addRow("", self.notifications)
        form.addRow("", self.start_at_login)
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save_general)
        form.addRow("", self.save_button)
        changes.busy_changed.connect(self._set_busy)

    @Slot(bool)
    def _set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)

    def fill(self, data: SettingsData) -> None:
        """Show the settings of ``data``."""
        settings = data.settings
        self.poll_minutes.setValue(settings.poll_interval_minutes)
        self.timezone.setText(settings.timezone)
        self.currency.setCurrentText(settings.display_currency)
        self.rate.setText(settings.currency_rate)
        self.grouping.setCurrentIndex(max(0, self.grouping.findData(settings.number_grouping)))
        self.notifications.setChecked(settings.notifications)
        self.start_at_login.setChecked(settings.start_at_login)

    @Slot()
    def save_general(self) -> None:
        """Validate and save the page in the background; a refused value is said and nothing changes."""
        op = partial(
            save_preferences,
            self.changes.ctx,
            poll_interval_minutes=self.poll_minutes.value(),
            timezone=self.timezone.text().strip(),
            display_currency=self.currency.currentText().strip().upper() or "USD",
            currency_rate=self.rate.text().strip() or "1",
            number_grouping=self.grouping.currentData(),
            notifications=self.notifications.isChecked(),
            start_at_login=self.start_at_login.isChecked(),
        )
        self.changes.act("Saving settings", op, self._saved)

    def _saved(self, note: str) -> None:
        if note:
            self.changes.say(note, error=True)  # the settings were saved; start at login was not changed
