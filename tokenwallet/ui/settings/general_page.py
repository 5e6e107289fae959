"""The settings' General page: poll interval, time zone, display currency, start at login, and your pay.

The pay (an amount, its currency and whether it is monthly or yearly) is what the compensation
view measures the allowance against; it is kept in ``pay_amount``, ``pay_currency`` and
``pay_period`` (see the README's settings table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QSpinBox, QWidget

from tokenwallet.settings import MAX_POLL_MINUTES, MIN_POLL_MINUTES
from tokenwallet.ui.settings.preferences_page import PreferencesPage

if TYPE_CHECKING:
    from tokenwallet.ui.settings.changes import SettingsChanges, SettingsData

CURRENCIES = ("USD", "EUR", "GBP", "INR", "JPY", "CAD", "AUD", "CHF")


def _select(combo: QComboBox, value: object) -> None:
    combo.setCurrentIndex(max(0, combo.findData(value)))


class GeneralPage(PreferencesPage):
    """Options of the whole app, saved together with one button."""

    title = "General"

    def __init__(self, changes: SettingsChanges, parent: QWidget | None = None) -> None:
        super().__init__(changes, parent)
        form = QFormLayout(self)
        self.poll_minutes = QSpinBox()
        self.poll_minutes.setRange(MIN_POLL_MINUTES, MAX_POLL_MINUTES)
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
        self.start_at_login = QCheckBox("Start tokenwallet when I log in")
        form.addRow("Poll every", self.poll_minutes)
        form.addRow("Time zone", self.timezone)
        form.addRow("Display currency", self.currency)
        form.addRow("Rate per USD", self.rate)
        form.addRow("Digit grouping", self.grouping)
        form.addRow("", self.start_at_login)

        pay = QGroupBox("Your pay (for the compensation view: what the allowance is worth beside it)")
        pay_form = QFormLayout(pay)
        self.pay_amount = QLineEdit()
        self.pay_amount.setPlaceholderText("optional, e.g. 6000; before tax, as on your contract")
        self.pay_currency = QComboBox()
        self.pay_currency.addItem("the display currency", "")
        self.pay_currency.addItem("US dollars (USD)", "USD")
        self.pay_period = QComboBox()
        self.pay_period.addItem("a month", "monthly")
        self.pay_period.addItem("a year", "yearly")
        pay_form.addRow("Amount", self.pay_amount)
        pay_form.addRow("Currency", self.pay_currency)
        pay_form.addRow("Paid per", self.pay_period)
        note = QLabel("Kept in your settings file only; never sent anywhere.")
        note.setStyleSheet("color: #666;")
        pay_form.addRow("", note)
        form.addRow(pay)
        form.addRow(self.button_row())
        self.currency.currentTextChanged.connect(self._currency_changed)

        self.add(
            "poll_interval_minutes",
            "poll interval",
            self.poll_minutes.value,
            self.poll_minutes.setValue,
            self.poll_minutes,
        )
        self.add("timezone", "time zone", lambda: self.timezone.text().strip(), self.timezone.setText, self.timezone)
        self.add(
            "display_currency",
            "display currency",
            lambda: self.currency.currentText().strip().upper() or "USD",
            self.currency.setCurrentText,
            self.currency,
        )
        self.add("currency_rate", "rate per USD", lambda: self.rate.text().strip() or "1", self.rate.setText, self.rate)
        self.add(
            "number_grouping",
            "digit grouping",
            lambda: self.grouping.currentData(),
            lambda v: _select(self.grouping, v),
            self.grouping,
        )
        self.add(
            "start_at_login",
            "start at login",
            self.start_at_login.isChecked,
            self.start_at_login.setChecked,
            self.start_at_login,
        )
        self.add("pay_amount", "pay", lambda: self.pay_amount.text().strip(), self.pay_amount.setText, self.pay_amount)
        self.add(
            "pay_currency",
            "pay currency",
            lambda: self.pay_currency.currentData(),
            lambda v: _select(self.pay_currency, v),
            self.pay_currency,
        )
        self.add(
            "pay_period",
            "pay period",
            lambda: self.pay_period.currentData(),
            lambda v: _select(self.pay_period, v),
            self.pay_period,
        )

    def fill(self, data: SettingsData) -> None:
        """Show the settings of ``data`` (the pay's currency names the display currency)."""
        super().fill(data)
        self._currency_changed(self.currency.currentText())

    @Slot(str)
    def _currency_changed(self, text: str) -> None:
        code = text.strip().upper() or "USD"
        self.pay_currency.setItemText(0, f"{code} (the display currency)")
