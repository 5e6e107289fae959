"""Settings: accounts (masked key entry, test connection), allowances with top-ups, general options."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.domain.accounts import AccountKind
from tokenwallet.domain.allowance import Cadence
from tokenwallet.domain.errors import TokenwalletError
from tokenwallet.services import accounts as account_service
from tokenwallet.services import allowances as allowance_service
from tokenwallet.services import grants as grant_service
from tokenwallet.services.start_at_login import apply_start_at_login
from tokenwallet.ui.allowance_form import AllowanceFields, TopupFields

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.secrets.store import SecretStore

ConnectionTester = Callable[[str], None]
"""Starts testing an account off the GUI thread; the owner reports back through
:meth:`SettingsDialog.show_test_result` ('' when the provider answered, else the problem)."""

_CURRENCIES = ("USD", "EUR", "GBP", "INR", "JPY", "CAD", "AUD", "CHF")


class SettingsDialog(QDialog):
    """Edits accounts, allowances and settings; emits :attr:`changed` after each saved change."""

    changed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        store: SecretStore,
        *,
        tester: ConnectionTester | None = None,
        keyring_problem: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.store = store
        self.tester = tester
        self._keyring_problem = keyring_problem
        self.setWindowTitle("tokenwallet settings")
        self.resize(620, 520)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._accounts_tab(), "Accounts")
        self.tabs.addTab(self._allowances_tab(), "Allowances")
        self.tabs.addTab(self._general_tab(), "General")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.reload()

    # ----- helpers
    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")
        self.status.setText(text)

    def _run(self, what: str, step: Callable[[], object]) -> bool:
        """Run one user action; any domain error is shown in plain words and nothing else changes."""
        try:
            step()
        except TokenwalletError as exc:
            remedy = getattr(exc, "remedy", "")
            self._say(f"{what} failed: {exc} {remedy}".strip(), error=True)
            return False
        self._say(f"{what}: done.")
        self.reload()
        self.changed.emit()
        return True

    # ----- accounts
    def _accounts_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setStyleSheet("background: #fff8e1; padding: 6px; border-radius: 4px;")
        layout.addWidget(self.keyring_note)
        self.account_list = QListWidget()
        self.account_list.currentItemChanged.connect(self._account_selected)
        layout.addWidget(self.account_list)
        form = QFormLayout()
        self.account_kind = QComboBox()
        for kind in AccountKind:
            if kind is not AccountKind.MANUAL:
                self.account_kind.addItem(kind.value, kind.value)
        self.account_label = QLineEdit()
        self.account_label.setPlaceholderText("e.g. Work OpenAI")
        self.account_url = QLineEdit()
        self.account_url.setPlaceholderText("only for a self-hosted gateway, e.g. https://llm.example.com")
        self.account_key = QLineEdit()
        self.account_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.account_key.setPlaceholderText("paste the API key; it goes to the OS keyring only")
        form.addRow("Provider", self.account_kind)
        form.addRow("Name", self.account_label)
        form.addRow("Base URL", self.account_url)
        form.addRow("API key", self.account_key)
        layout.addLayout(form)
        row = QHBoxLayout()
        for text, slot in (
            ("Add", self._add_account),
            ("Save changes", self._save_account),
            ("Remove", self._remove_account),
            ("Test connection", self._test_account),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        self.test_button = button  # the last one
        self.testing = ""  # the account being tested, while a test runs
        layout.addLayout(row)
        return page

    def _selected_account(self) -> str:
        item = self.account_list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    @Slot()
    def _account_selected(self) -> None:
        account_id = self._selected_account()
        if not account_id:
            return
        account = account_service.get_account(self.ctx, account_id)
        self.account_label.setText(account.label)
        self.account_url.setText(account.base_url)
        self.account_key.clear()
        self.account_key.setPlaceholderText(
            f"key ending …{account.key_hint}; type a new one to replace it" if account.key_hint else "no key"
        )
        index = self.account_kind.findData(account.kind.value)
        if index >= 0:
            self.account_kind.setCurrentIndex(index)

    @Slot()
    def _add_account(self) -> None:
        kind = AccountKind(self.account_kind.currentData())  # Qt hands back the plain string

        def step() -> None:
            account_service.add_account(
                self.ctx,
                self.store,
                kind=kind,
                label=self.account_label.text(),
                base_url=self.account_url.text(),
                key=self.account_key.text(),
            )

        if self._run("Adding the account", step):
            self.account_key.clear()

    @Slot()
    def _save_account(self) -> None:
        account_id = self._selected_account()
        if not account_id:
            self._say("Select an account to change first.", error=True)
            return
        self._run(
            "Saving the account",
            lambda: account_service.update_account(
                self.ctx,
                self.store,
                account_id,
                label=self.account_label.text(),
                base_url=self.account_url.text(),
                key=self.account_key.text(),
            ),
        )
        self.account_key.clear()

    @Slot()
    def _remove_account(self) -> None:
        account_id = self._selected_account()
        if not account_id:
            return
        removed: list[account_service.RemovedAccount] = []

        def step() -> None:
            removed.append(account_service.remove_account(self.ctx, self.store, account_id))

        if self._run("Removing the account", step) and removed[0].key_problem:
            self._say(f"The account was removed. {removed[0].key_problem}", error=True)

    @Slot()
    def _test_account(self) -> None:
        account_id = self._selected_account()
        if not account_id:
            self._say("Select an account to test.", error=True)
        elif self.tester is None:
            self._say("Testing needs the sync service, which is not available in this build.", error=True)
        elif not self.testing:
            self.testing = account_id
            self.test_button.setEnabled(False)
            self.test_button.setText("Testing…")
            label = self.account_list.currentItem().text().split(" (")[0]
            self._say(f"Asking the provider for {label}… this can take a few seconds.")
            self.status.setStyleSheet("")
            self.tester(account_id)

    def show_test_result(self, account_id: str, problem: str) -> None:
        """Show how the connection test of ``account_id`` went and enable the button again."""
        if account_id != self.testing:
            return
        self.testing = ""
        self.test_button.setEnabled(True)
        self.test_button.setText("Test connection")
        if problem:
            self._say(f"The connection test failed: {problem}", error=True)
        else:
            self._say("The provider answered: the key works.")

    # ----- allowances
    def _allowances_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.allowance_list = QListWidget()
        layout.addWidget(self.allowance_list)
        form = QFormLayout()
        fields = AllowanceFields(c for c in Cadence if c is not Cadence.ONE_OFF)
        self.allowance_name, self.allowance_amount, self.allowance_unit = fields.name, fields.amount, fields.unit
        self.allowance_cadence, self.allowance_anchor = fields.cadence, fields.anchor
        self.allowance_rollover, self.allowance_cap = fields.rollover, fields.cap
        self.allowance_name.setPlaceholderText("e.g. Work AI allowance")
        self.allowance_amount.setPlaceholderText("e.g. 200 (dollars) or 5000000 (tokens)")
        self.allowance_cadence.setCurrentText("monthly")
        fields.add_rows(form)
        layout.addLayout(form)
        row = QHBoxLayout()
        add = QPushButton("Add allowance")
        add.clicked.connect(self._add_allowance)
        edit = QPushButton("Edit selected…")
        edit.clicked.connect(self.edit_allowance)
        self.allowance_list.itemDoubleClicked.connect(self.edit_allowance)
        remove = QPushButton("Remove selected")
        remove.clicked.connect(self._remove_allowance)
        row.addWidget(add)
        row.addWidget(edit)
        row.addWidget(remove)
        layout.addLayout(row)
        topup = QFormLayout()
        self.topup = TopupFields("e.g. 50")
        self.topup_amount, self.topup_expires = self.topup.amount, self.topup.expires
        self.topup_never = self.topup.never
        self.topup_note = QLineEdit()
        topup.addRow("Top-up amount", self.topup_amount)
        expiry_row = QHBoxLayout()
        expiry_row.addWidget(self.topup_expires)
        expiry_row.addWidget(self.topup_never)
        topup.addRow("Expires", expiry_row)
        topup.addRow("Note", self.topup_note)
        layout.addLayout(topup)
        add_topup = QPushButton("Add top-up to selected allowance")
        add_topup.clicked.connect(self._add_topup)
        layout.addWidget(add_topup)
        return page

    def _selected_allowance(self) -> str:
        item = self.allowance_list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    @Slot()
    def _add_allowance(self) -> None:
        cadence = self.allowance_cadence.currentText()
        anchor = self.allowance_anchor.value() if cadence in ("monthly", "quarterly", "yearly", "weekly") else None
        if cadence == "weekly" and anchor is not None and anchor > 7:
            anchor = 1

        def step() -> None:
            allowance_service.add_allowance(
                self.ctx,
                name=self.allowance_name.text(),
                amount=self.allowance_amount.text(),
                unit=self.allowance_unit.currentText(),
                cadence=cadence,
                anchor_day=anchor,
                rollover=self.allowance_rollover.isChecked(),
                rollover_cap=self.allowance_cap.text().strip() or None,
            )

        self._run("Adding the allowance", step)

    @Slot()
    def edit_allowance(self) -> None:
        """Open the edit dialog for the selected allowance (also on a double click)."""
        allowance_id = self._selected_allowance()
        if not allowance_id:
            self._say("Select the allowance to edit first.", error=True)
            return
        from tokenwallet.ui.allowance_edit import AllowanceEditDialog

        dialog = AllowanceEditDialog(self.ctx, allowance_id, self)
        dialog.changed.connect(self._allowance_edited)
        self.allowance_editor = dialog
        dialog.open()

    @Slot()
    def _allowance_edited(self) -> None:
        self._say("Allowance saved.")
        self.reload()
        self.changed.emit()

    @Slot()
    def _remove_allowance(self) -> None:
        allowance_id = self._selected_allowance()
        if allowance_id:
            self._run("Removing the allowance", lambda: allowance_service.remove_allowance(self.ctx, allowance_id))

    @Slot()
    def _add_topup(self) -> None:
        allowance_id = self._selected_allowance()
        if not allowance_id:
            self._say("Select the allowance the top-up belongs to.", error=True)
            return
        expires = self.topup.expiry(self.ctx.settings.zone())
        self._run(
            "Adding the top-up",
            lambda: grant_service.add_topup(
                self.ctx, allowance_id, amount=self.topup_amount.text(), expires=expires, note=self.topup_note.text()
            ),
        )

    # ----- general
    def _general_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.poll_minutes = QSpinBox()
        self.poll_minutes.setRange(1, 24 * 60)
        self.poll_minutes.setSuffix(" min")
        self.timezone = QLineEdit()
        self.timezone.setPlaceholderText("system zone; or e.g. Europe/Berlin, Asia/Kolkata")
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.addItems(_CURRENCIES)
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
        save = QPushButton("Save")
        save.clicked.connect(self.save_general)
        form.addRow("", save)
        return page

    @Slot()
    def save_general(self) -> None:
        """Validate and save the General tab."""
        from tokenwallet.domain.errors import UserInputError

        current = self.ctx.settings
        rate = self.rate.text().strip() or "1"
        try:
            if Decimal(rate) <= 0:
                raise InvalidOperation
        except InvalidOperation:
            self._say(f"The rate must be a positive number like 83.2, not {rate!r}.", error=True)
            return
        note = ""

        def step() -> None:
            nonlocal note
            try:
                new = current.replace(
                    poll_interval_minutes=self.poll_minutes.value(),
                    timezone=self.timezone.text().strip(),
                    display_currency=self.currency.currentText().strip().upper() or "USD",
                    currency_rate=rate,
                    number_grouping=self.grouping.currentData(),
                    notifications=self.notifications.isChecked(),
                    start_at_login=self.start_at_login.isChecked(),
                )
            except ValueError as exc:
                raise UserInputError(str(exc)) from exc
            self.ctx.save_settings(new)
            if new.start_at_login != current.start_at_login:
                note = apply_start_at_login(new.start_at_login)

        if self._run("Saving settings", step) and note:
            self._say(note)

    # ----- all tabs
    def reload(self) -> None:
        """Fill every list and field from the ledger and settings."""
        from tokenwallet.ledger import allowances

        db = self.ctx.ledger()
        problem = (
            self._keyring_problem if self._keyring_problem is not None else account_service.keyring_problem(self.store)
        )
        self.keyring_note.setText(
            f"No usable keyring: {problem} Keys you add now are kept for this session only." if problem else ""
        )
        self.keyring_note.setVisible(bool(problem))
        self.account_list.clear()
        for account in account_service.list_accounts(self.ctx, include_disabled=False, include_manual=False):
            hint = f" · key …{account.key_hint}" if account.key_hint else ""
            item = QListWidgetItem(f"{account.label} ({account.kind.value}){hint}")
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            self.account_list.addItem(item)
        self.allowance_list.clear()
        for allowance in allowances.list_allowances(db):
            from tokenwallet.budget.inputs import format_amount

            item = QListWidgetItem(
                f"{allowance.name}: {format_amount(allowance.amount, allowance.unit)} {allowance.cadence.value}"
            )
            item.setData(Qt.ItemDataRole.UserRole, allowance.id)
            self.allowance_list.addItem(item)
        settings = self.ctx.settings
        self.poll_minutes.setValue(settings.poll_interval_minutes)
        self.timezone.setText(settings.timezone)
        self.currency.setCurrentText(settings.display_currency)
        self.rate.setText(settings.currency_rate)
        self.grouping.setCurrentIndex(max(0, self.grouping.findData(settings.number_grouping)))
        self.notifications.setChecked(settings.notifications)
        self.start_at_login.setChecked(settings.start_at_login)
