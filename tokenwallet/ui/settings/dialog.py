"""Settings: the Accounts, Allowances and General pages in one dialog, with one status line.

The dialog reads what the pages show in the background (:func:`~tokenwallet.ui.settings.changes.load_settings_data`)
and again after each stored change; until the first read arrives the pages' buttons are disabled.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from tokenwallet.ui.settings.account_page import AccountPage
from tokenwallet.ui.settings.allowance_page import AllowancePage
from tokenwallet.ui.settings.changes import SettingsChanges, SettingsData, Tone, failure_text, load_settings_data
from tokenwallet.ui.settings.general_page import GeneralPage

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
    ) -> None:
        """``store`` None: find a usable key store (the keyring, else session-only keys) in the first read."""
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self._store = store
        self._keyring_problem = keyring_problem
        self.changes = SettingsChanges(ctx, bridge, self)
        self._reads = bridge.lane("settings")
        self.setWindowTitle("tokenwallet settings")
        self.resize(620, 520)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.accounts = AccountPage(self.changes)
        self.allowances = AllowancePage(self.changes)
        self.general = GeneralPage(self.changes)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.accounts, "Accounts")
        self.tabs.addTab(self.allowances, "Allowances")
        self.tabs.addTab(self.general, "General")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.changes.said.connect(self._say)
        self.changes.saved.connect(self._on_saved)
        self.accounts.tested.connect(self.figures_changed)
        self.allowances.edited.connect(self._on_edited)
        self.changes.set_busy(True)  # until the first read arrives
        self.reload()

    @Slot(str, object)
    def _say(self, text: str, tone: Tone) -> None:
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
        self.accounts.fill(data)
        self.allowances.fill(data)
        self.general.fill(data)
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
