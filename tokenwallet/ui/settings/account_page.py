"""The settings' Accounts page: add, change, remove and test provider accounts and agent-log folders.

The form below the list is either a **new account** (the default, or after "New account") or the
selected stored account.  It asks for exactly what the chosen kind needs: an API key (kept in the
OS keyring only, never shown again) and a base URL where the provider has none of its own (a
LiteLLM gateway); a folder for agent logs, with how their usage counts (billed through an API
account, or under a subscription).  "Test connection" works for the account being typed, before
it is stored.  OpenAI, Anthropic and OpenRouter accounts can be narrowed to the user's own api keys,
projects, workspaces or Claude Code logins (an org admin key sees everyone's usage).  A refusal
names the field, which is framed in red.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
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

from tokenwallet.domain.accounts import Account, AccountFilters, AccountKind
from tokenwallet.services import accounts as account_service
from tokenwallet.services import connection_test, log_sources
from tokenwallet.ui.settings.changes import Step, Tone
from tokenwallet.ui.settings.field_marks import FieldMarks

if TYPE_CHECKING:
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.services.connection_test import ConnectionReport
    from tokenwallet.ui.settings.changes import SettingsChanges, SettingsData

ChooseFolder = Callable[[QWidget, str], str | None]


def ask_folder(parent: QWidget, start: str) -> str | None:
    """The platform's folder picker; None when cancelled."""
    chosen = QFileDialog.getExistingDirectory(parent, "Choose the log folder", start)
    return chosen or None


FILTER_HINTS = {
    "api_key_id": ("API key ids", "only the usage of these api keys, e.g. key_abc123 (the id, not the key)"),
    "project_id": ("Project ids", "only these projects, e.g. proj_abc123"),
    "workspace_id": ("Workspace ids", "only these workspaces, e.g. wrkspc_abc123"),
    "user_email": ("Claude Code logins", "only these people's Claude Code usage, e.g. ana@example.com"),
}
"""Each filter dimension's row label and placeholder."""


def parse_filters(texts: dict[str, str]) -> AccountFilters:
    """The filters typed in the form: values separated by commas or spaces, per dimension."""
    pairs = [(dimension, value) for dimension, text in texts.items() for value in re.split(r"[,\s]+", text) if value]
    return AccountFilters.from_pairs(pairs)


def _without_flags(text: str) -> str:
    """A connector's key help without its command-line hints (``(give ... with --base-url)``)."""
    return re.sub(r"\s*\([^)]*--[^)]*\)", "", text)


class AccountPage(QWidget):
    """Accounts whose usage is polled or read; keys go to the key store only and are never shown again."""

    tested = Signal()
    """A connection test polled a stored account (a real poll): the figures may have changed."""

    def __init__(
        self, changes: SettingsChanges, parent: QWidget | None = None, *, choose_folder: ChooseFolder = ask_folder
    ) -> None:
        super().__init__(parent)
        self.changes = changes
        self.data: SettingsData | None = None
        self.choose_folder = choose_folder
        self.wanted = ""  # the account to select once the list is read again ('' none)
        self.loaded: dict[str, Any] = {}  # the form as it was filled: what "unsaved" compares with
        layout = QVBoxLayout(self)
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setStyleSheet("background: #fff8e1; padding: 6px; border-radius: 4px;")
        layout.addWidget(self.keyring_note)
        self.account_list = QListWidget()
        self.account_list.setMaximumHeight(140)
        self.account_list.currentItemChanged.connect(self._account_selected)
        layout.addWidget(self.account_list)
        self.mode = QLabel()
        self.mode.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.mode)

        self.form = QFormLayout()
        self.account_kind = QComboBox()
        for kind in AccountKind:
            if kind is not AccountKind.MANUAL:
                self.account_kind.addItem(account_service.kind_name(kind), kind.value)
        self.account_kind.currentIndexChanged.connect(self._kind_changed)
        self.account_label = QLineEdit()
        self.account_label.setPlaceholderText("e.g. Work OpenAI")
        self.account_url = QLineEdit()
        self.account_key = QLineEdit()
        self.account_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("the folder the agent writes its logs to")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.setContentsMargins(0, 0, 0, 0)
        folder_row.addWidget(self.folder)
        folder_row.addWidget(self.browse)
        self.folder_box = QWidget()
        self.folder_box.setLayout(folder_row)
        self.billed_by = QComboBox()
        self.billed_by.setToolTip(
            "The API or gateway account these requests are billed through: its bill replaces the logs' "
            "estimates where it has reported"
        )
        self.subscription = QCheckBox("Used under a subscription plan (counted in token allowances, not as dollars)")
        self.filters: dict[str, QLineEdit] = {}
        for dimension, (_, hint) in FILTER_HINTS.items():
            field = QLineEdit()
            field.setPlaceholderText(f"optional: {hint}")
            self.filters[dimension] = field
        self.form.addRow("Kind", self.account_kind)
        self.form.addRow("Name", self.account_label)
        self.form.addRow("Base URL", self.account_url)
        self.form.addRow("API key", self.account_key)
        self.form.addRow("Log folder", self.folder_box)
        self.form.addRow("Billed through", self.billed_by)
        self.form.addRow("", self.subscription)
        for dimension, field in self.filters.items():
            self.form.addRow(FILTER_HINTS[dimension][0], field)
        self.filters_note = QLabel(
            "An organization's admin key sees everyone's usage: narrow the account to what is yours "
            "(several values: separate them with commas)."
        )
        self.filters_note.setWordWrap(True)
        self.filters_note.setStyleSheet("color: #555;")
        self.form.addRow("", self.filters_note)
        layout.addLayout(self.form)
        self.marks = FieldMarks(
            {
                "kind": self.account_kind,
                "label": self.account_label,
                "base_url": self.account_url,
                "key": self.account_key,
                "folder": self.folder,
                "billed_by": self.billed_by,
                "subscription": self.subscription,
                **self.filters,
            }
        )
        row = QHBoxLayout()
        self.new_button = QPushButton("New account")
        self.new_button.clicked.connect(self.new_account)
        self.add_button = QPushButton("Add account")
        self.add_button.clicked.connect(self._add_account)
        self.save_button = QPushButton("Save changes")
        self.save_button.clicked.connect(self._save_account)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove_account)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self._test_account)
        self.buttons = [self.new_button, self.add_button, self.save_button, self.remove_button]
        for button in (*self.buttons, self.test_button):
            row.addWidget(button)
        self.testing = ""  # what is being tested while a test runs: an account id, or "new"
        layout.addLayout(row)
        layout.addStretch(1)
        changes.busy_changed.connect(self._set_busy)
        self._show_mode()

    # ----- what the form shows
    @Slot(bool)
    def _set_busy(self, busy: bool) -> None:
        for button in self.buttons:
            button.setEnabled(not busy)

    def kind(self) -> AccountKind:
        """The kind the form is for."""
        return AccountKind(self.account_kind.currentData())

    def account(self) -> Account | None:
        """The stored account the form edits (None: a new account)."""
        account_id = self.selected()
        if not account_id or self.data is None:
            return None
        return next((a for a in self.data.accounts if a.id == account_id), None)

    def fill(self, data: SettingsData) -> None:
        """Show the key store's state and the accounts of ``data``; select the one just added or kept."""
        self.data = data
        problem = data.keyring_problem
        self.keyring_note.setText(
            f"No usable keyring: {problem} Keys you add now are kept for this session only." if problem else ""
        )
        self.keyring_note.setVisible(bool(problem))
        keep = self.wanted or self.selected()
        # Another page's change makes the dialog read everything again: an account being edited keeps the edits.
        editing = not self.wanted and bool(self.selected()) and bool(self.unsaved())
        self.wanted = ""
        self.account_list.blockSignals(True)
        self.account_list.clear()
        chosen = None
        for account in data.accounts:
            hint = f" · key …{account.key_hint}" if account.key_hint else ""
            narrowed = account_service.describe_filters(account.filters)
            hint += f" · only {narrowed}" if narrowed else ""
            item = QListWidgetItem(f"{account.label} ({account_service.kind_name(account.kind)}){hint}")
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            self.account_list.addItem(item)
            if account.id == keep:
                chosen = item
        self.account_list.blockSignals(False)
        if chosen is not None and editing:
            self.account_list.blockSignals(True)
            self.account_list.setCurrentItem(chosen)
            self.account_list.blockSignals(False)
        elif chosen is not None:
            self.account_list.setCurrentItem(chosen)
        elif keep or not self.loaded:
            self.new_account()
        else:
            self._show_mode()

    def selected(self) -> str:
        """The id of the selected account, or '' (a new account)."""
        item = self.account_list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    @Slot()
    def new_account(self) -> None:
        """Clear the form for a new account."""
        self.account_list.blockSignals(True)
        self.account_list.setCurrentRow(-1)
        self.account_list.clearSelection()
        self.account_list.blockSignals(False)
        self.account_kind.setEnabled(True)
        for field in (self.account_label, self.account_url, self.account_key, *self.filters.values()):
            field.clear()
        self._kind_changed()
        self.loaded = self.form_values()

    @Slot()
    def _account_selected(self) -> None:
        account = self.account()
        if account is None:
            return
        self.marks.clear()
        self.account_kind.blockSignals(True)
        self.account_kind.setCurrentIndex(max(0, self.account_kind.findData(account.kind.value)))
        self.account_kind.blockSignals(False)
        self.account_kind.setEnabled(False)  # a stored account keeps its kind
        self.account_label.setText(account.label)
        self.account_url.setText(account.base_url)
        self.account_key.clear()
        self.folder.setText(", ".join(log_sources.folders(account)))
        for dimension, field in self.filters.items():
            field.setText(", ".join(account.filters.values(dimension)))
        self._show_fields(account.kind, account)
        self.loaded = self.form_values()

    @Slot()
    def _kind_changed(self) -> None:
        if self.account() is not None:
            return
        kind = self.kind()
        self.folder.setText(log_sources.default_folder(kind) if kind.is_local_log else "")
        self._show_fields(kind, None)

    def _show_fields(self, kind: AccountKind, account: Account | None) -> None:
        """Show the rows ``kind`` needs, with hints that fit it."""
        from tokenwallet.sources.registry import CONNECTORS

        wanted = account_service.needs(kind)
        connector = CONNECTORS.get(kind.value)
        self.form.setRowVisible(self.account_url, wanted.base_url)
        self.form.setRowVisible(self.account_key, wanted.key)
        self.form.setRowVisible(self.folder_box, kind.is_local_log)
        self.form.setRowVisible(self.billed_by, kind.is_local_log)
        self.form.setRowVisible(self.subscription, kind.is_local_log)
        for dimension, field in self.filters.items():
            self.form.setRowVisible(field, dimension in wanted.filters)
        self.form.setRowVisible(self.filters_note, bool(wanted.filters))
        url_label = self.form.labelForField(self.account_url)
        if isinstance(url_label, QLabel):
            url_label.setText("Base URL (required)" if wanted.base_url_required else "Base URL")
        if connector is not None:
            default = connector.default_base_url
            self.account_url.setPlaceholderText(
                f"optional; default {default}" if default else "your gateway's address, e.g. https://llm.example.com"
            )
            self.account_key.setToolTip(f"Paste {_without_flags(connector.key_help)}. It goes to the OS keyring only.")
        if account is not None and account.key_hint:
            self.account_key.setPlaceholderText(f"key ending …{account.key_hint}; paste a new one to replace it")
        else:
            self.account_key.setPlaceholderText("paste the API key; it goes to the OS keyring only")
        self.folder.setReadOnly(account is not None)
        self.browse.setVisible(account is None)
        if kind.is_local_log:
            self._fill_billing(kind, account)
        self.test_button.setEnabled(wanted.key or account is not None)
        self._show_mode()

    def _fill_billing(self, kind: AccountKind, account: Account | None) -> None:
        self.billed_by.clear()
        self.billed_by.addItem("not billed through another account (count the logs' estimates)", "")
        data = self.data
        for other in data.accounts if data is not None else ():
            if other.kind in log_sources.bills_through(kind):
                self.billed_by.addItem(f"{other.label} ({account_service.kind_name(other.kind)})", other.id)
        current = account.billed_by if account is not None else None
        self.billed_by.setCurrentIndex(max(0, self.billed_by.findData(current or "")))
        self.subscription.setChecked(bool(account.subscription) if account is not None else False)

    def _show_mode(self) -> None:
        account = self.account()
        stored = account is not None
        self.mode.setText(f"Account: {account.label}" if account is not None else "New account")
        self.add_button.setVisible(not stored)
        self.save_button.setVisible(stored)
        self.remove_button.setVisible(stored)

    def form_values(self) -> dict[str, Any]:
        """What the form holds, by field (compared with what was loaded to find unsaved edits)."""
        kind = self.kind()
        values: dict[str, Any] = {"label": self.account_label.text().strip()}
        if kind.needs_key:
            values["base_url"] = self.account_url.text().strip()
            values["key"] = self.account_key.text()
            values["filters"] = self.typed_filters()
        if kind.is_local_log:
            values["folder"] = self.folder.text().strip()
            values["billed_by"] = self.billed_by.currentData() or ""
            values["subscription"] = self.subscription.isChecked()
        return values

    def typed_filters(self) -> AccountFilters:
        """The filters as typed, for the dimensions the kind takes."""
        wanted = account_service.needs(self.kind()).filters
        return parse_filters({d: f.text() for d, f in self.filters.items() if d in wanted})

    def unsaved(self) -> list[str]:
        """Unsaved edits of the form, in words (a new account that was typed counts)."""
        now = self.form_values()
        edited = [name for name, value in now.items() if self.loaded.get(name) != value]
        if not edited:
            return []
        account = self.account()
        if account is None:
            return [f"Accounts: the new {account_service.kind_name(self.kind())} account was not added"]
        words = {
            "label": "name",
            "base_url": "base URL",
            "key": "key",
            "billed_by": "billed through",
            "filters": "filters",
        }
        return [f"Accounts: {account.label}: {', '.join(words.get(e, e) for e in edited)}"]

    def discard(self) -> None:
        """Put the form back as it was loaded (a typed key leaves memory)."""
        self.account_key.clear()
        self.marks.clear()
        if self.account() is None:
            self.new_account()
        else:
            self._account_selected()

    def save_step(self) -> Step | None:
        """The change that stores the form (add or save), or None when nothing is unsaved."""
        if not self.unsaved():
            return None
        return self._add_step() if self.account() is None else self._save_step()

    # ----- changes
    def refused(self, error: TokenwalletError) -> None:
        """Point at the field a refusal is about."""
        self.marks.mark(getattr(error, "field", None))

    def _add_step(self) -> Step:
        changes = self.changes
        ctx = changes.ctx
        kind = self.kind()
        label = self.account_label.text()
        op: Callable[[], Account]
        if kind.is_local_log:
            folder = self.folder.text()
            billed = self.billed_by.currentData() or None
            plan = self.subscription.isChecked()

            def op() -> Account:
                added = log_sources.add_log_account(ctx, kind=kind, label=label, folder=folder)
                if billed or plan:
                    added = account_service.set_stream(ctx, added.id, billed_by=billed, subscription=plan)
                return added

        else:
            op = partial(
                account_service.add_account,
                ctx,
                changes.store,
                kind=kind,
                label=label,
                base_url=self.account_url.text(),
                key=self.account_key.text(),
                filters=self.typed_filters(),
            )
        return Step("Adding the account", op, self._added, self.refused)

    @Slot()
    def _add_account(self) -> None:
        self.marks.clear()
        self.changes.run(self._add_step())

    def _added(self, account: Account) -> None:
        self.account_key.clear()  # stored: the key leaves the form (a refusal keeps it, to fix another field)
        self.wanted = account.id  # selected when the list is read again
        self.changes.say(f"Added {account.label}.")

    def _save_step(self) -> Step:
        changes = self.changes
        ctx = changes.ctx
        account = self.account()
        assert account is not None
        label, url, key = self.account_label.text(), self.account_url.text(), self.account_key.text()
        billed = self.billed_by.currentData() or None
        plan = self.subscription.isChecked()
        store = changes.store

        filters = self.typed_filters() if account.kind.needs_key else None
        details_changed = (
            label.strip() != account.label
            or url.strip() != account.base_url
            or bool(key.strip())
            or (filters is not None and filters != account.filters)
        )
        billing_changed = account.kind.is_local_log and (billed != account.billed_by or plan != account.subscription)

        def op() -> Account:
            saved = account
            if details_changed:  # only what changed is stored (and audited)
                saved = account_service.update_account(
                    ctx, store, account.id, label=label, base_url=url, key=key, filters=filters
                )
            if billing_changed:
                saved = account_service.set_stream(ctx, account.id, billed_by=billed, subscription=plan)
            return saved

        return Step("Saving the account", op, self._saved, self.refused)

    def _saved(self, _: object = None) -> None:
        self.account_key.clear()

    @Slot()
    def _save_account(self) -> None:
        if self.account() is None:
            self.changes.say("Select an account to change first.", error=True)
            return
        self.marks.clear()
        self.changes.run(self._save_step())

    @Slot()
    def _remove_account(self) -> None:
        account_id = self.selected()
        if account_id:
            changes = self.changes
            op = partial(account_service.remove_account, changes.ctx, changes.store, account_id)
            changes.act("Removing the account", op, self._removed)

    def _removed(self, removed: account_service.RemovedAccount) -> None:
        self.loaded = {}
        if removed.key_problem:
            self.changes.say(f"The account was removed. {removed.key_problem}", error=True)

    @Slot()
    def _browse(self) -> None:
        chosen = self.choose_folder(self, self.folder.text() or "")
        if chosen:
            self.folder.setText(chosen)

    @Slot()
    def _test_account(self) -> None:
        if self.testing:
            return
        account = self.account()
        ctx = self.changes.ctx
        op: Callable[[], ConnectionReport]
        if account is not None:
            self.testing = account.id
            op = partial(connection_test.try_stored, ctx, account.id)
            who = account.label
        else:
            self.testing = "new"
            op = partial(
                connection_test.try_new,
                ctx,
                kind=self.kind(),
                base_url=self.account_url.text(),
                key=self.account_key.text(),
                filters=self.typed_filters(),
            )
            who = f"the new {account_service.kind_name(self.kind())} account"
        self.marks.clear()
        self.test_button.setEnabled(False)
        self.test_button.setText("Testing…")
        self.changes.say(f"Asking the provider for {who}… this can take a few seconds.", tone=Tone.PLAIN)
        self.changes.bridge.run(op, partial(self.show_test_result, self.testing), self._test_failed, receiver=self)

    def _test_failed(self, error: TokenwalletError) -> None:
        from tokenwallet.services.connection_test import ConnectionReport

        self.show_test_result(self.testing, ConnectionReport(False, str(error), getattr(error, "field", None)))

    def show_test_result(self, testing: str, report: ConnectionReport) -> None:
        """Show how the connection test went and enable the button again."""
        if testing != self.testing:
            return
        self.testing = ""
        self.test_button.setEnabled(True)
        self.test_button.setText("Test connection")
        if report.ok:
            self.changes.say(report.text)
        else:
            self.changes.say(f"The connection test failed: {report.text}", error=True)
            self.marks.mark(report.field)
        if report.polled:
            self.tested.emit()
