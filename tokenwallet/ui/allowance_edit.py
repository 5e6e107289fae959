"""Editing one allowance: amount, unit, cadence, start day, rollover, scope and its top-ups."""

from __future__ import annotations

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
from tokenwallet.domain.errors import TokenwalletError
from tokenwallet.services import allowances as allowance_service
from tokenwallet.services import grants as grant_service
from tokenwallet.services.allowances import amount_text
from tokenwallet.ui.allowance_form import AllowanceFields, TopupFields

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


class AllowanceEditDialog(QDialog):
    """Edits one stored allowance; emits :attr:`changed` after a top-up or a saved edit."""

    changed = Signal()

    def __init__(self, ctx: AppContext, allowance_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from tokenwallet.ledger import accounts, allowances

        self.ctx = ctx
        self.allowance_id = allowance_id
        allowance = allowances.get(ctx.ledger(), allowance_id)
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
        for account in accounts.list_accounts(ctx.ledger(), include_disabled=False):
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
        add_topup = QPushButton("Add top-up")
        add_topup.clicked.connect(self.add_topup)
        for widget in (self.topup_amount, self.topup_expires, self.topup_never, add_topup):
            topup_row.addWidget(widget)

        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Top-ups (each with its own expiry)"))
        layout.addWidget(self.topups)
        layout.addLayout(topup_row)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._load_topups()

    def _load_topups(self) -> None:
        from tokenwallet.ledger import allowances

        unit = Unit(self.unit.currentText())
        self.topups.clear()
        zone = self.ctx.settings.zone()
        for grant in allowances.grants_for(self.ctx.ledger(), self.allowance_id):
            if grant.kind is not GrantKind.TOPUP:
                continue
            expiry = grant.expires_at.astimezone(zone).date().isoformat() if grant.expires_at else "no expiry"
            note = f" · {grant.note}" if grant.note else ""
            self.topups.addItem(f"+{amount_text(grant.amount, unit)} {unit.value} · expires {expiry}{note}")
        if not self.topups.count():
            self.topups.addItem("No top-ups yet")

    def _say(self, text: str, *, error: bool) -> None:
        self.status.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")
        self.status.setText(text)

    def scope_accounts(self) -> tuple[str, ...]:
        """The ticked accounts (empty: every account counts)."""
        items = (self.scope.item(row) for row in range(self.scope.count()))
        return tuple(
            str(item.data(Qt.ItemDataRole.UserRole)) for item in items if item.checkState() == Qt.CheckState.Checked
        )

    @Slot()
    def save(self) -> bool:
        """Validate and store the edit; on a mistake say what is wrong and keep the dialog open."""
        cadence = self.cadence.currentText()
        anchor = self.anchor.value()
        if cadence == "weekly" and anchor > 7:
            self._say("For a weekly allowance the start day is a weekday number from 1 (Monday) to 7.", error=True)
            return False
        try:
            allowance_service.edit_allowance(
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
        except TokenwalletError as exc:
            self._say(f"Not saved: {exc} {getattr(exc, 'remedy', '')}".strip(), error=True)
            return False
        self.changed.emit()
        self.accept()
        return True

    @Slot()
    def add_topup(self) -> bool:
        """Add the top-up typed in the row (stored at once, like in the settings list)."""
        expires = self.topup.expiry(self.ctx.settings.zone())
        try:
            grant_service.add_topup(
                self.ctx, self.allowance_id, amount=self.topup_amount.text(), expires=expires, note=""
            )
        except TokenwalletError as exc:
            self._say(f"Top-up not added: {exc}", error=True)
            return False
        self.topup_amount.clear()
        self._say("Top-up added.", error=False)
        self._load_topups()
        self.changed.emit()
        return True
