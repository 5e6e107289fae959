"""Settings: Accounts, Allowances, Alerts, Agents, Policy and General in one window, with one status line.

The dialog reads what the pages show in the background (:func:`~tokenwallet.ui.settings.changes.load_settings_data`)
and again after each stored change; until the first read arrives the pages' buttons are disabled.
Nothing typed is silently dropped: closing the window with unsaved edits (an account's fields, a
typed allowance or top-up, a previewed policy, options not saved) lists them and asks whether to
save them, discard them or keep editing; after Discard the forms show the stored values again.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from tokenwallet.ui.settings.account_page import AccountPage
from tokenwallet.ui.settings.agents_page import AgentsPage
from tokenwallet.ui.settings.alerts_page import AlertsPage
from tokenwallet.ui.settings.allowance_page import AllowancePage
from tokenwallet.ui.settings.changes import (
    SettingsChanges,
    SettingsData,
    Step,
    Tone,
    failure_text,
    load_settings_data,
)
from tokenwallet.ui.settings.discard import Answer, Ask, ask_about_changes
from tokenwallet.ui.settings.general_page import GeneralPage
from tokenwallet.ui.settings.policy_page import PolicyPage

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.secrets.store import SecretStore
    from tokenwallet.ui.runtime.bridge import OperationBridge

_TONES = {Tone.DONE: "color: #2e7d32;", Tone.PROBLEM: "color: #c62828;", Tone.PLAIN: ""}


class SettingsDialog(QDialog):
    """Edits accounts, allowances and settings; emits :attr:`changed` after each stored change."""

    changed = Signal()
    figures_changed = Signal()
    """A connection test polled an account: the figures may have changed."""

    def __init__(
        self,
        ctx: AppContext,
        bridge: OperationBridge,
        *,
        store: SecretStore | None = None,
        keyring_problem: str | None = None,
        parent: QWidget | None = None,
        ask: Ask = ask_about_changes,
    ) -> None:
        """``store`` None: find a usable key store (the keyring, else session-only keys) in the first read."""
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.ask = ask
        self._store = store
        self._keyring_problem = keyring_problem
        self.changes = SettingsChanges(ctx, bridge, self)
        self._reads = bridge.lane("settings")
        self.setWindowTitle("tokenwallet settings")
        self.resize(860, 620)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self._said: dict[int, tuple[str, Tone]] = {}
        self.accounts = AccountPage(self.changes)
        self.allowances = AllowancePage(self.changes, ask=ask)
        self.alerts = AlertsPage(self.changes)
        self.agents = AgentsPage(self.changes)
        self.policy = PolicyPage(self.changes)
        self.general = GeneralPage(self.changes)
        self.tabs = QTabWidget()
        for page, title in (
            (self.accounts, "Accounts"),
            (self.allowances, "Allowances"),
            (self.alerts, "Alerts"),
            (self.agents, "Agents"),
            (self.policy, "Policy"),
            (self.general, "General"),
        ):
            self.tabs.addTab(page, title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.changes.said.connect(self._say)
        self.tabs.currentChanged.connect(self._show_page_status)
        self.changes.saved.connect(self._on_saved)
        self.accounts.tested.connect(self.figures_changed)
        self.allowances.edited.connect(self._on_edited)
        self.allowances.rules_changed.connect(self.changed)  # the app looks at the rules at its next refresh
        self.allowances.policy_button.clicked.connect(self.import_policy)
        self.changes.set_busy(True)  # until the first read arrives
        self.reload()

    @Slot(str, object)
    def _say(self, text: str, tone: Tone) -> None:
        # Each page keeps its own last message: a policy preview's hint must not sit under the
        # General page, and a refusal is still there when its page is shown again.
        self._said[self.tabs.currentIndex()] = (text, tone)
        self._show_page_status(self.tabs.currentIndex())

    @Slot(int)
    def _show_page_status(self, index: int) -> None:
        text, tone = self._said.get(index, ("", Tone.PLAIN))
        self.status.setStyleSheet(_TONES[tone])
        self.status.setText(text)

    def reload(self) -> None:
        """Read the lists and settings again in the background, then fill every page."""
        op = partial(load_settings_data, self.ctx, self._store, self._keyring_problem)
        self.bridge.run(op, self._fill, self._not_read, lane=self._reads, receiver=self)

    def _fill(self, data: SettingsData) -> None:
        # The key store is chosen once: after a switch to session-only keys the keyring note stays.
        self._store, self._keyring_problem = data.store, data.keyring_problem
        first = self.changes.data is None
        self.changes.data = data
        for page in (self.accounts, self.allowances, self.alerts, self.agents, self.policy, self.general):
            page.fill(data)
        if first:
            self.changes.set_busy(False)

    def _not_read(self, error: TokenwalletError) -> None:
        self._say(failure_text("Reading the settings", error), Tone.PROBLEM)

    @Slot()
    def _on_saved(self) -> None:
        self.reload()
        self.changed.emit()

    @Slot()
    def _on_edited(self) -> None:
        self._say("Allowance saved.", Tone.DONE)
        self._on_saved()

    @Slot()
    def import_policy(self) -> None:
        """Show the Policy page and pick a file to import."""
        self.tabs.setCurrentWidget(self.policy)
        self.policy.choose()

    # ----- closing without losing what was typed
    def unsaved(self) -> list[str]:
        """Every unsaved edit of every page, in words."""
        return [
            *self.accounts.unsaved(),
            *self.allowances.unsaved(),
            *self.policy.unsaved(),
            *self.alerts.unsaved(),
            *self.general.unsaved(),
        ]

    def save_steps(self) -> list[Step]:
        """The changes that store every unsaved edit: the options in one save, then the pages' own."""
        steps: list[Step] = []
        options: dict[str, Any] = {**self.alerts.pending(), **self.general.pending()}
        if options:
            steps.append(self.general.save_step(options))
        account = self.accounts.save_step()
        if account is not None:
            steps.append(account)
        return [*steps, *self.allowances.save_steps(), *self.policy.save_steps()]

    def discard(self) -> None:
        """Show the stored values again in every form; typed keys leave memory."""
        for page in (self.accounts, self.allowances, self.policy, self.alerts, self.general):
            page.discard()

    def reject(self) -> None:
        """Close (the Close button, Escape, the window's close button): ask first when something is unsaved."""
        if self.changes.busy:
            self._say("A change is still being stored; close the window when it is done.", Tone.PLAIN)
            return
        unsaved = self.unsaved()
        if unsaved:
            answer = self.ask(self, unsaved)
            if answer is Answer.KEEP:
                return
            if answer is Answer.SAVE:
                self.changes.run_all(self.save_steps(), self._saved_then_close)
                return
            self.discard()
        self.accounts.account_key.clear()
        super().reject()

    def _saved_then_close(self, stored: bool) -> None:
        if stored:
            self.accounts.account_key.clear()
            super().reject()
        # else: the refusal is in the status line and its field is framed; the window stays open
