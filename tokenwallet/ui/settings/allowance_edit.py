"""Editing one allowance: amount, unit, cadence, start day, rollover, scope, its top-ups and its alerts.

The dialog opens on details read in the background (:func:`load_edit_data`); saving and adding a
top-up run in the background too, and a refused value is said in the dialog, which stays open on
the field to fix.  Top-ups and alerts are stored as they are made; the allowance's own fields wait
for Save, and closing the dialog with unsaved edits asks whether to save or discard them.  Fields
an employer policy owns are read-only, with a note naming the policy.
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
from tokenwallet.ui.locale_dates import format_date
from tokenwallet.ui.settings.alert_rules import AlertsSection
from tokenwallet.ui.settings.allowance_form import AllowanceFields, TopupFields
from tokenwallet.ui.settings.discard import Answer, Ask, ask_about_changes
from tokenwallet.ui.settings.field_marks import FieldMarks

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from tokenwallet.app import AppContext
    from tokenwallet.domain.accounts import Account
    from tokenwallet.domain.allowance import Allowance, Grant
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.ledger.policies import PolicyLink
    from tokenwallet.services.alert_rules import RuleView
    from tokenwallet.ui.runtime.bridge import OperationBridge

OWNED_WORDS = {
    "name": "name",
    "unit": "unit",
    "amount": "amount",
    "cadence": "cadence",
    "anchor_day": "start day",
    "rollover": "rollover",
    "timezone": "time zone",
    "starts": "start date",
    "ends": "end date",
    "providers": "providers",
    "models": "models",
}
"""How the fields a policy owns are named in the editor's note."""


@dataclass(frozen=True, slots=True)
class AllowanceEditData:
    """One allowance with the accounts it may count, its grants, its alert rules and the policy that owns it."""

    allowance: Allowance
    accounts: tuple[Account, ...]
    grants: tuple[Grant, ...]
    zone: ZoneInfo
    rules: tuple[RuleView, ...] = ()
    owner: PolicyLink | None = None
    """The employer policy that created the allowance (its fields in ``owned``), or None."""


def load_edit_data(ctx: AppContext, allowance_id: str) -> AllowanceEditData:
    """Read what the edit dialog shows (on a worker)."""
    from tokenwallet.services import accounts
    from tokenwallet.services.alert_rules import rules_for
    from tokenwallet.services.policy import ownership

    return AllowanceEditData(
        allowance=allowance_service.find_allowance(ctx, allowance_id),
        accounts=tuple(accounts.list_accounts(ctx, include_disabled=False)),
        grants=tuple(grant_service.list_grants(ctx, allowance_id)),
        zone=ctx.settings.zone(),
        rules=tuple(rules_for(ctx, allowance_id)),
        owner=ownership(ctx, allowance_id),
    )


class AllowanceEditDialog(QDialog):
    """Edits one stored allowance; emits :attr:`changed` after a top-up, an alert change or a saved edit."""

    changed = Signal()
    rules_changed = Signal()
    """An alert rule was added, changed, removed or snoozed (stored at once)."""

    def __init__(
        self,
        ctx: AppContext,
        bridge: OperationBridge,
        data: AllowanceEditData,
        parent: QWidget | None = None,
        *,
        ask: Ask = ask_about_changes,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.ask = ask
        allowance = data.allowance
        self.allowance_id = allowance.id
        self.zone = data.zone
        self.setWindowTitle(f"Edit allowance: {allowance.name}")
        self.resize(960, 600)
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
        self.scope.setMaximumHeight(130)
        fields.add_rows(form)
        form.addRow("Counts spend of\n(none ticked: all)", self.scope)
        self.marks = FieldMarks(
            {
                "name": self.name,
                "amount": self.amount,
                "unit": self.unit,
                "cadence": self.cadence,
                "anchor_day": self.anchor,
                "rollover_cap": self.cap,
                "scope": self.scope,
            }
        )
        self.owner_note = QLabel()
        self.owner_note.setWordWrap(True)
        self.owner_note.setStyleSheet("background: #e3f2fd; padding: 6px; border-radius: 4px;")
        self.owned = self._show_owner(data.owner)

        self.topups = QListWidget()
        self.topups.setMaximumHeight(100)
        topup_row = QHBoxLayout()
        self.topup = TopupFields("top-up, e.g. 50")
        self.topup_amount, self.topup_expires = self.topup.amount, self.topup.expires
        self.topup_never = self.topup.never
        self.add_topup_button = QPushButton("Add top-up")
        self.add_topup_button.clicked.connect(self.add_topup)
        for widget in (self.topup_amount, self.topup_expires, self.topup_never, self.add_topup_button):
            topup_row.addWidget(widget)
        self.alerts = AlertsSection(ctx, bridge, allowance.id, allowance.unit, data.zone, data.rules, self)
        self.alerts.changed.connect(self.rules_changed)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        left = QVBoxLayout()
        left.addWidget(self.owner_note)
        left.addLayout(form)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Top-ups</b> (each with its own expiry; added at once)"))
        right.addWidget(self.topups)
        right.addLayout(topup_row)
        right.addSpacing(8)
        right.addWidget(self.alerts, 1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addSpacing(12)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._show_topups(data.grants)
        self.saved_form = self.form_values()

    def _show_owner(self, owner: PolicyLink | None) -> tuple[str, ...]:
        """Make the fields the policy owns read-only and say so; returns the owned fields."""
        if owner is None:
            self.owner_note.hide()
            return ()
        widgets: dict[str, tuple[QWidget, ...]] = {
            "name": (self.name,),
            "unit": (self.unit,),
            "amount": (self.amount,),
            "cadence": (self.cadence,),
            "anchor_day": (self.anchor,),
            "rollover": (self.rollover, self.cap),
        }
        for owned in owner.owned:
            for widget in widgets.get(owned, ()):
                widget.setEnabled(False)
                widget.setToolTip(f"Set by the employer policy {owner.policy_id!r}")
        words = ", ".join(OWNED_WORDS.get(f, f) for f in owner.owned)
        self.owner_note.setText(
            f"Set by the employer policy <b>{owner.policy_id}</b> (revision {owner.revision}): {words}. "
            "These change when a newer revision is imported. The accounts it counts, its top-ups and its "
            "alerts are yours to change here."
        )
        return tuple(owner.owned)

    def form_values(self) -> dict[str, object]:
        """The allowance's own fields as the form shows them (what Save would store)."""
        return {
            "name": self.name.text().strip(),
            "amount": self.amount.text().strip(),
            "unit": self.unit.currentText(),
            "cadence": self.cadence.currentText(),
            "start day": self.anchor.value(),
            "rollover": self.rollover.isChecked(),
            "rollover cap": self.cap.text().strip(),
            "accounts it counts": self.scope_accounts(),
        }

    def unsaved(self) -> list[str]:
        """The fields edited since the last save, by name (none: nothing to save)."""
        now = self.form_values()
        return [name for name, value in now.items() if self.saved_form.get(name) != value]

    def reject(self) -> None:
        """Cancel, Escape or the window's close button: ask first when the form has unsaved edits."""
        edited = self.unsaved()
        if edited:
            answer = self.ask(self, [f"{self.saved_form['name']}: {', '.join(edited)}"])
            if answer is Answer.KEEP:
                return
            if answer is Answer.SAVE:
                self.save()  # closes once stored; a refusal keeps the dialog open and says why
                return
        super().reject()

    def _show_topups(self, grants: tuple[Grant, ...]) -> None:
        unit = Unit(self.unit.currentText())
        self.topups.clear()
        for grant in grants:
            if grant.kind is not GrantKind.TOPUP:
                continue
            expiry = format_date(grant.expires_at, self.zone) if grant.expires_at else "no expiry"
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
        self.alerts.set_busy(busy)

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
        self.marks.clear()
        if cadence == "weekly" and anchor > 7:
            self._say("For a weekly allowance the start day is a weekday number from 1 (Monday) to 7.", error=True)
            self.marks.mark("anchor_day")
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
        self.saved_form = self.form_values()
        self.changed.emit()
        self.accept()

    def _not_saved(self, error: TokenwalletError) -> None:
        self._set_busy(False)
        self._say(f"Not saved: {error} {getattr(error, 'remedy', '')}".strip(), error=True)
        self.marks.mark(getattr(error, "field", None))

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
