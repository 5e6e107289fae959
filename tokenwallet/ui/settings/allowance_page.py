"""The settings' Allowances page: add and remove allowances, add top-ups, open the edit dialog."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.budget.inputs import format_amount
from tokenwallet.domain.allowance import Cadence
from tokenwallet.domain.errors import UserInputError
from tokenwallet.services import allowances as allowance_service
from tokenwallet.services import grants as grant_service
from tokenwallet.ui.settings.allowance_edit import AllowanceEditDialog, load_edit_data
from tokenwallet.ui.settings.allowance_form import AllowanceFields, TopupFields
from tokenwallet.ui.settings.changes import Step, failure_text
from tokenwallet.ui.settings.discard import Ask, ask_about_changes

if TYPE_CHECKING:
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.ui.settings.allowance_edit import AllowanceEditData
    from tokenwallet.ui.settings.changes import SettingsChanges, SettingsData

_ANCHORED = ("monthly", "quarterly", "yearly", "weekly")


class AllowancePage(QWidget):
    """The allowances with their top-ups; the edit dialog changes one in full."""

    edited = Signal()
    """The edit dialog stored a change."""
    rules_changed = Signal()
    """The edit dialog changed an alert rule."""

    def __init__(
        self, changes: SettingsChanges, parent: QWidget | None = None, *, ask: Ask = ask_about_changes
    ) -> None:
        super().__init__(parent)
        self.changes = changes
        self.ask = ask
        self.editor: AllowanceEditDialog | None = None
        layout = QVBoxLayout(self)
        self.allowance_list = QListWidget()
        layout.addWidget(self.allowance_list)
        form = QFormLayout()
        self.fields = AllowanceFields(c for c in Cadence if c is not Cadence.ONE_OFF)
        self.fields.name.setPlaceholderText("e.g. Work AI allowance")
        self.fields.amount.setPlaceholderText("e.g. 200 (dollars) or 5000000 (tokens)")
        self.fields.cadence.setCurrentText("monthly")
        self.fields.add_rows(form)
        layout.addLayout(form)
        self.policy_button = QPushButton("Import policy…")
        self.policy_button.setToolTip("Your employer's token policy file becomes your allowances (see the Policy page)")
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
        row.addStretch(1)
        row.addWidget(self.policy_button)
        layout.addLayout(row)
        topup = QFormLayout()
        self.topup = TopupFields("e.g. 50")
        self.topup_note = QLineEdit()
        topup.addRow("Top-up amount", self.topup.amount)
        expiry_row = QHBoxLayout()
        expiry_row.addWidget(self.topup.expires)
        expiry_row.addWidget(self.topup.never)
        topup.addRow("Expires", expiry_row)
        topup.addRow("Note", self.topup_note)
        layout.addLayout(topup)
        add_topup = QPushButton("Add top-up to selected allowance")
        add_topup.clicked.connect(self._add_topup)
        layout.addWidget(add_topup)
        self.buttons = [add, edit, remove, add_topup]
        changes.busy_changed.connect(self._set_busy)

    @Slot(bool)
    def _set_busy(self, busy: bool) -> None:
        for button in self.buttons:
            button.setEnabled(not busy)

    def fill(self, data: SettingsData) -> None:
        """List the allowances of ``data``."""
        self.allowance_list.clear()
        for allowance in data.allowances:
            item = QListWidgetItem(
                f"{allowance.name}: {format_amount(allowance.amount, allowance.unit)} {allowance.cadence.value}"
            )
            item.setData(Qt.ItemDataRole.UserRole, allowance.id)
            self.allowance_list.addItem(item)

    def selected(self) -> str:
        """The id of the selected allowance, or ''."""
        item = self.allowance_list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def unsaved(self) -> list[str]:
        """Drafts typed but not added: a new allowance, a top-up."""
        found = []
        if self.fields.name.text().strip() or self.fields.amount.text().strip():
            found.append("Allowances: the new allowance was not added")
        if self.topup.amount.text().strip():
            found.append("Allowances: the top-up was not added")
        return found

    def discard(self) -> None:
        """Clear the drafts."""
        for field in (self.fields.name, self.fields.amount, self.fields.cap, self.topup.amount, self.topup_note):
            field.clear()

    def save_steps(self) -> list[Step]:
        """The steps that add the drafts (the new allowance first, then the top-up to the selected one)."""
        steps = []
        if self.fields.name.text().strip() or self.fields.amount.text().strip():
            steps.append(self._add_step())
        if self.topup.amount.text().strip():
            steps.append(self._topup_step())
        return steps

    @Slot()
    def _add_allowance(self) -> None:
        self.changes.run(self._add_step())

    def _clear_new(self, _: object = None) -> None:
        for field in (self.fields.name, self.fields.amount, self.fields.cap):
            field.clear()

    def _add_step(self) -> Step:
        fields = self.fields
        cadence = fields.cadence.currentText()
        anchor = fields.anchor.value() if cadence in _ANCHORED else None
        if cadence == "weekly" and anchor is not None and anchor > 7:
            anchor = 1
        op = partial(
            allowance_service.add_allowance,
            self.changes.ctx,
            name=fields.name.text(),
            amount=fields.amount.text(),
            unit=fields.unit.currentText(),
            cadence=cadence,
            anchor_day=anchor,
            rollover=fields.rollover.isChecked(),
            rollover_cap=fields.cap.text().strip() or None,
        )
        return Step("Adding the allowance", op, self._clear_new)

    @Slot()
    def edit_allowance(self) -> None:
        """Open the edit dialog for the selected allowance (also on a double click), once its details are read."""
        allowance_id = self.selected()
        if not allowance_id:
            self.changes.say("Select the allowance to edit first.", error=True)
            return
        self.changes.bridge.run(
            partial(load_edit_data, self.changes.ctx, allowance_id), self._open_editor, self._not_opened, receiver=self
        )

    def _open_editor(self, data: AllowanceEditData) -> None:
        if self.editor is not None:
            self.editor.close()
            self.editor.deleteLater()
        self.editor = AllowanceEditDialog(self.changes.ctx, self.changes.bridge, data, self, ask=self.ask)
        self.editor.changed.connect(self.edited)
        self.editor.rules_changed.connect(self.rules_changed)
        self.editor.open()

    def _not_opened(self, error: TokenwalletError) -> None:
        self.changes.say(failure_text("Opening the allowance", error), error=True)

    @Slot()
    def _remove_allowance(self) -> None:
        allowance_id = self.selected()
        if allowance_id:
            op = partial(allowance_service.remove_allowance, self.changes.ctx, allowance_id)
            self.changes.act("Removing the allowance", op)

    @Slot()
    def _add_topup(self) -> None:
        if not self.selected():
            self.changes.say("Select the allowance the top-up belongs to.", error=True)
            return
        self.changes.run(self._topup_step())

    def _clear_topup(self, _: object = None) -> None:
        self.topup.amount.clear()
        self.topup_note.clear()

    def _topup_step(self) -> Step:
        allowance_id = self.selected()
        ctx = self.changes.ctx
        amount, note = self.topup.amount.text(), self.topup_note.text()
        expires = self.topup.expiry(ctx.settings.zone())

        def op() -> object:
            if not allowance_id:
                raise UserInputError("Select the allowance the top-up belongs to.", field="allowance")
            return grant_service.add_topup(ctx, allowance_id, amount=amount, expires=expires, note=note)

        return Step("Adding the top-up", op, self._clear_topup)
