"""Editing one allowance: amount, unit, cadence, start day, rollover, scope and its top-ups.

The dialog opens on details read in the background (:func:`load_edit_data`); saving and adding a
top-up run in the background too, and a refused value is said in the dialog, which stays open.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.domain.accounts import AccountKind
from tokenwallet.domain.allowance import Cadence, GrantKind, Unit
from tokenwallet.services import allowances as allowance_service
from tokenwallet.services import grants as grant_service
from tokenwallet.services.allowances import amount_text
from tokenwallet.ui.settings.allowance_form import AllowanceFields, TopupFields

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from tokenwallet.app import AppContext
    from tokenwallet.domain.accounts import Account
    from tokenwallet.domain.allowance import Allowance, Grant
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.ui.runtime.bridge import OperationBridge


@dataclass(frozen=True, slots=True)
class AllowanceEditData:
    """One allowance with the accounts it may count and its grants, as the edit dialog shows them."""

    allowance: Allowance
    accounts: tuple[Account, ...]
    grants: tuple[Grant, ...]
    zone: ZoneInfo


def load_edit_data(ctx: AppContext, allowance_id: str) -> AllowanceEditData:
    """Read what the edit dialog shows (on a worker)."""
    from tokenwallet.services import accounts

    return AllowanceEditData(
        allowance=allowance_service.find_allowance(ctx, allowance_id),
        accounts=tuple(accounts.list_accounts(ctx, include_disabled=False)),
        grants=tuple(grant_service.list_grants(ctx, allowance_id)),
        zone=ctx.settings.zone(),
    )


class AllowanceEditDialog(QDialog):
    """Edits one stored allowance; emits :attr:`changed` after a top-up or a saved edit."""

    changed = Signal()

    def __init__(
        self, ctx: AppContext, bridge: OperationBridge, data: AllowanceEditData, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        allowance = data.allowance
        self.allowance_id = allowance.id
        self.zone = data.zone
        self.setWindowTitle(f"Edit allowance: {allowance.name}")
        self.resize(520, 560)
        form = QFormLayout()
        fields = AllowanceFields(Cadence)
        self.name, self.amount, self.unit, self.cadence = fields.name, fields.amount, fields.unit, fields.cadence
        self.anchor, self.rollover, self.cap = fields.anchor, fields.rollover, fields.cap
        self.name.setText(allowance.name)
        self.amount.setText(amount_text(allowance.amount, allowance.unit))
        self.unit.setCurrentText(allowance.unit.value)
        self.cadence.setCurrentText(allowance.cadence.value)
        self.anchor.setValue(allowance.anchor_day)
        self.rollover.setChecked(allowance.rollover is not None)
        if allowance.rollover is not None and allowance.rollover.cap is not None:
            self.cap.setText(amount_text(allowance.rollover.cap, allowance.unit))
        self.scope = QListWidget()
        self.scope.setToolTip("Tick the accounts whose spend counts; none ticked: every account counts")
        for account in data.accounts:
            item = QListWidgetItem(
                f"{account.label} ({account.kind.value})"
                if account.kind is not AccountKind.MANUAL
                else "Manual entries"
            )
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            ticked = account.id in allowance.scope.accounts
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            self.scope.addItem(item)
        self.scope.setMaximumHeight(110)
        fields.add_rows(form)
        form.addRow("Counts spend of\n(none ticked: all)", self.scope)

        self.topups = QListWidget()
        self.topups.setMaximumHeight(90)
        topup_row = QHBoxLayout()
        self.topup = TopupFields("top-up, e.g. 50")
        self.topup_amount, self.topup_expires = self.topup.amount, self.topup.expires
        self.topup_never = self.topup.never
        self.add_topup_button = QPushButton("Add top-up")
        self.add_topup_button.clicked.connect(self.add_topup)
        for widget in (self.topup_amount, self.topup_expires, self.topup_never, self.add_topup_button):
            topup_row.addWidget(widget)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Top-ups (each with its own expiry)"))
        layout.addWidget(self.topups)
        layout.addLayout(topup_row)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._show_topups(data.grants)

    def _show_topups(self, grants: tuple[Grant, ...]) -> None:
        unit = Unit(self.unit.currentText())
        self.topups.clear()
        for grant in grants:
            if grant.kind is not GrantKind.TOPUP:
                continue
            expiry = grant.expires_at.astimezone(self.zone).date().isoformat() if grant.expires_at else "no expiry"
            note = f" · {grant.note}" if grant.note else ""
            self.topups.addItem(f"+{amount_text(grant.amount, unit)} {unit.value} · expires {expiry}{note}")
        if not self.topups.count():
            self.topups.addItem("No top-ups yet")

    def _say(self, text: str, *, error: bool) -> None:
        self.status.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")
        self.status.setText(text)

    def _set_busy(self, busy: bool) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not busy)
        self.add_topup_button.setEnabled(not busy)

    def scope_accounts(self) -> tuple[str, ...]:
        """The ticked accounts (empty: every account counts)."""
        items = (self.scope.item(row) for row in range(self.scope.count()))
        return tuple(
            str(item.data(Qt.ItemDataRole.UserRole)) for item in items if item.checkState() == Qt.CheckState.Checked
        )

    @Slot()
    def save(self) -> None:
        """Validate and store the edit in the background; a mistake is said and the dialog stays open."""
        cadence = self.cadence.currentText()
        anchor = self.anchor.value()
        if cadence == "weekly" and anchor > 7:
            self._say("For a weekly allowance the start day is a weekday number from 1 (Monday) to 7.", error=True)
            return
        op = partial(
            allowance_service.edit_allowance,
            self.ctx,
            self.allowance_id,
            name=self.name.text(),
            amount=self.amount.text(),
            unit=self.unit.currentText(),
            cadence=cadence,
            anchor_day=None if cadence in (Cadence.ONE_OFF.value, Cadence.DAILY.value) else anchor,
            rollover=self.rollover.isChecked(),
            rollover_cap=self.cap.text().strip() or None,
            scope=self.scope_accounts(),
        )
        self._set_busy(True)
        self.bridge.run(op, self._saved, self._not_saved, receiver=self)

    def _saved(self, _: object) -> None:
        self._set_busy(False)
        self.changed.emit()
        self.accept()

    def _not_saved(self, error: TokenwalletError) -> None:
        self._set_busy(False)
        self._say(f"Not saved: {error} {getattr(error, 'remedy', '')}".strip(), error=True)

    @Slot()
    def add_topup(self) -> None:
        """Add the top-up typed in the row (stored at once, like in the settings list)."""
        ctx, allowance_id = self.ctx, self.allowance_id
        amount, expires = self.topup_amount.text(), self.topup.expiry(self.zone)

        def op() -> tuple[Grant, ...]:
            grant_service.add_topup(ctx, allowance_id, amount=amount, expires=expires, note="")
            return tuple(grant_service.list_grants(ctx, allowance_id))

        self._set_busy(True)
        self.bridge.run(op, self._topup_added, self._topup_refused, receiver=self)

    def _topup_added(self, grants: tuple[Grant, ...]) -> None:
        self._set_busy(False)
        self.topup_amount.clear()
        self._say("Top-up added.", error=False)
        self._show_topups(grants)
        self.changed.emit()

    def _topup_refused(self, error: TokenwalletError) -> None:
        self._set_busy(False)
        self._say(f"Top-up not added: {error}", error=True)
