"""The settings' Accounts page: masked key entry, add, change, remove and test a provider account."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.domain.accounts import AccountKind
from tokenwallet.services import accounts as account_service
from tokenwallet.ui.settings.changes import Tone

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.ui.settings.changes import SettingsChanges, SettingsData


def connection_problem(ctx: AppContext, account_id: str) -> str:
    """Poll ``account_id`` once (a real request with the stored key): '' when the provider answered, else why not."""
    outcome = account_service.check_connection(ctx, account_id)
    return str(outcome.error or "")


class AccountPage(QWidget):
    """Accounts whose usage is polled; keys go to the key store only and are never shown again."""

    tested = Signal()
    """A connection test ran (a real poll): the figures may have changed."""

    def __init__(self, changes: SettingsChanges, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.changes = changes
        self.data: SettingsData | None = None
        layout = QVBoxLayout(self)
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
        self.buttons: list[QPushButton] = []
        for text, slot in (
            ("Add", self._add_account),
            ("Save changes", self._save_account),
            ("Remove", self._remove_account),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons.append(button)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self._test_account)
        row.addWidget(self.test_button)
        self.testing = ""  # the account being tested, while a test runs
        layout.addLayout(row)
        changes.busy_changed.connect(self._set_busy)

    @Slot(bool)
    def _set_busy(self, busy: bool) -> None:
        for button in self.buttons:
            button.setEnabled(not busy)

    def fill(self, data: SettingsData) -> None:
        """Show the key store's state and the accounts of ``data``."""
        self.data = data
        problem = data.keyring_problem
        self.keyring_note.setText(
            f"No usable keyring: {problem} Keys you add now are kept for this session only." if problem else ""
        )
        self.keyring_note.setVisible(bool(problem))
        self.account_list.clear()
        for account in data.accounts:
            hint = f" · key …{account.key_hint}" if account.key_hint else ""
            item = QListWidgetItem(f"{account.label} ({account.kind.value}){hint}")
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            self.account_list.addItem(item)

    def selected(self) -> str:
        """The id of the selected account, or ''."""
        item = self.account_list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    @Slot()
    def _account_selected(self) -> None:
        account_id = self.selected()
        if not account_id or self.data is None:
            return
        account = next(a for a in self.data.accounts if a.id == account_id)
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
        changes = self.changes
        op = partial(
            account_service.add_account,
            changes.ctx,
            changes.store,
            kind=AccountKind(self.account_kind.currentData()),  # Qt hands back the plain string
            label=self.account_label.text(),
            base_url=self.account_url.text(),
            key=self.account_key.text(),
        )
        changes.act("Adding the account", op, self._clear_key)

    def _clear_key(self, _: object = None) -> None:
        self.account_key.clear()

    @Slot()
    def _save_account(self) -> None:
        account_id = self.selected()
        if not account_id:
            self.changes.say("Select an account to change first.", error=True)
            return
        changes = self.changes
        op = partial(
            account_service.update_account,
            changes.ctx,
            changes.store,
            account_id,
            label=self.account_label.text(),
            base_url=self.account_url.text(),
            key=self.account_key.text(),
        )
        if changes.act("Saving the account", op):
            self._clear_key()  # the key leaves the form at once, whatever the outcome

    @Slot()
    def _remove_account(self) -> None:
        account_id = self.selected()
        if account_id:
            changes = self.changes
            op = partial(account_service.remove_account, changes.ctx, changes.store, account_id)
            changes.act("Removing the account", op, self._removed)

    def _removed(self, removed: account_service.RemovedAccount) -> None:
        if removed.key_problem:
            self.changes.say(f"The account was removed. {removed.key_problem}", error=True)

    @Slot()
    def _test_account(self) -> None:
        account_id = self.selected()
        if not account_id:
            self.changes.say("Select an account to test.", error=True)
        elif not self.testing:
            self.testing = account_id
            self.test_button.setEnabled(False)
            self.test_button.setText("Testing…")
            label = self.account_list.currentItem().text().split(" (")[0]
            self.changes.say(f"Asking the provider for {label}… this can take a few seconds.", tone=Tone.PLAIN)
            self.changes.bridge.run(
                partial(connection_problem, self.changes.ctx, account_id),
                partial(self.show_test_result, account_id),
                self._test_failed,
                receiver=self,
            )

    def _test_failed(self, error: TokenwalletError) -> None:
        self.show_test_result(self.testing, str(error), polled=False)

    def show_test_result(self, account_id: str, problem: str, *, polled: bool = True) -> None:
        """Show how the connection test of ``account_id`` went and enable the button again."""
        if account_id != self.testing:
            return
        self.testing = ""
        self.test_button.setEnabled(True)
        self.test_button.setText("Test connection")
        if problem:
            self.changes.say(f"The connection test failed: {problem}", error=True)
        else:
            self.changes.say("The provider answered: the key works.")
        if polled:
            self.tested.emit()
