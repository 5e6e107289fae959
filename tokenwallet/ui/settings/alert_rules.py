"""The allowance editor's Alerts section: the rules that watch one allowance, changed as you go.

Each change (add, change, remove, snooze) is stored at once in the background, like a top-up, and
the list is read again; a refused value is said in the section and, for a rule being written, in
its dialog, which stays open on the field to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from msgspec.structs import replace
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.errors import UserInputError
from tokenwallet.services import alert_rules as rule_service
from tokenwallet.services.alert_rules import RuleRequest, RuleView
from tokenwallet.ui.settings.field_marks import FieldMarks

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from tokenwallet.app import AppContext
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.ui.runtime.bridge import OperationBridge

KINDS = (
    ("percent", "Share of the allowance used reaches"),
    ("absolute", "Spend in the period reaches"),
    ("forecast", "At the current pace it runs out before the reset"),
    ("expiry", "A grant lapses soon with value unspent"),
    ("spike", "Today's spend jumps above the usual"),
)
"""The kinds of rule the editor offers (the provider, stale and off-policy rules are account-wide)."""
SNOOZES = (
    ("for 1 hour", "1h"),
    ("for 1 day", "1d"),
    ("for 1 week", "7d"),
    ("until the next period", "period"),
    ("no longer (wake it up)", "off"),
)


class RuleDialog(QDialog):
    """Writes one rule: its kind and the numbers that kind needs.  Emits :attr:`submitted` with a RuleRequest."""

    submitted = Signal(object)

    def __init__(self, unit: Unit, allowance_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.allowance_id = allowance_id
        self.setWindowTitle("Alert")
        self.kind = QComboBox()
        for key, words in KINDS:
            self.kind.addItem(words, key)
        money = unit is Unit.USD
        self.percent = QDoubleSpinBox()
        self.percent.setRange(1, 1000)
        self.percent.setDecimals(1)
        self.percent.setSuffix(" %")
        self.percent.setValue(80)
        self.absolute = QLineEdit()
        self.absolute.setPlaceholderText("e.g. 150 (dollars)" if money else "e.g. 4000000 (tokens)")
        self.margin = QDoubleSpinBox()
        self.margin.setRange(0, 3653)
        self.margin.setSuffix(" days early or more")
        self.days = QDoubleSpinBox()
        self.days.setRange(0.5, 3653)
        self.days.setValue(3)
        self.days.setSuffix(" days before")
        self.min_unspent = QLineEdit()
        self.min_unspent.setPlaceholderText("any amount; or e.g. 20")
        self.factor = QDoubleSpinBox()
        self.factor.setRange(1.1, 1000)
        self.factor.setValue(3)
        self.factor.setSuffix(" × the median")
        self.trailing = QSpinBox()
        self.trailing.setRange(1, 3653)
        self.trailing.setValue(14)
        self.trailing.setSuffix(" days")
        self.recovery = QCheckBox("Also tell me when it clears")
        self.form = QFormLayout()
        self.form.addRow("Tell me when", self.kind)
        self.form.addRow("Share used", self.percent)
        self.form.addRow("Spend", self.absolute)
        self.form.addRow("Runs out", self.margin)
        self.form.addRow("Warn", self.days)
        self.form.addRow("Only when it is at least", self.min_unspent)
        self.form.addRow("Today at least", self.factor)
        self.form.addRow("Median of the last", self.trailing)
        self.form.addRow("", self.recovery)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #c62828;")
        self.marks = FieldMarks(
            {
                "percent": self.percent,
                "absolute": self.absolute,
                "margin_days": self.margin,
                "days": self.days,
                "min_unspent": self.min_unspent,
                "factor": self.factor,
                "trailing_days": self.trailing,
            }
        )
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._show_fields)
        self._show_fields()

    def kind_key(self) -> str:
        """The chosen kind: ``percent``, ``absolute``, ``forecast``, ``expiry`` or ``spike``."""
        return str(self.kind.currentData())

    @Slot()
    def _show_fields(self) -> None:
        key = self.kind_key()
        shown: dict[str, tuple[QWidget, ...]] = {
            "percent": (self.percent,),
            "absolute": (self.absolute,),
            "forecast": (self.margin,),
            "expiry": (self.days, self.min_unspent),
            "spike": (self.factor, self.trailing),
        }
        wanted = shown[key]
        for widget in (
            self.percent,
            self.absolute,
            self.margin,
            self.days,
            self.min_unspent,
            self.factor,
            self.trailing,
        ):
            self.form.setRowVisible(widget, widget in wanted)

    def fill(self, request: RuleRequest) -> None:
        """Show the rule ``request`` describes (to change it)."""
        key = request.kind
        if request.kind == "threshold":
            key = "absolute" if request.absolute else "percent"
        self.kind.setCurrentIndex(max(0, self.kind.findData(key)))
        if request.percent is not None:
            self.percent.setValue(request.percent)
        self.absolute.setText(request.absolute or "")
        self.margin.setValue(request.margin_days)
        self.days.setValue(request.days)
        self.min_unspent.setText(request.min_unspent or "")
        self.factor.setValue(request.factor)
        self.trailing.setValue(request.trailing_days)
        self.recovery.setChecked(request.notify_recovery)

    def request(self) -> RuleRequest:
        """The rule as the form says it (checked by the service when it is stored)."""
        key = self.kind_key()
        base = RuleRequest(allowance=self.allowance_id, notify_recovery=self.recovery.isChecked())
        if key == "percent":
            return replace(base, kind="threshold", percent=self.percent.value())
        if key == "absolute":
            text = self.absolute.text().strip()
            if not text:
                raise UserInputError("Give the spend at which to tell you, e.g. 150.", field="absolute")
            return replace(base, kind="threshold", absolute=text)
        if key == "forecast":
            return replace(base, kind="forecast", margin_days=self.margin.value())
        if key == "expiry":
            return replace(
                base, kind="expiry", days=self.days.value(), min_unspent=self.min_unspent.text().strip() or None
            )
        return replace(base, kind="spike", factor=self.factor.value(), trailing_days=self.trailing.value())

    @Slot()
    def submit(self) -> None:
        """Hand the rule to the section, which stores it (the dialog closes once it is stored)."""
        self.marks.clear()
        try:
            request = self.request()
        except UserInputError as exc:
            self.refused(exc)
            return
        self.buttons.setEnabled(False)
        self.submitted.emit(request)

    def refused(self, error: TokenwalletError) -> None:
        """Say why the rule was not stored and point at the field; the dialog stays open."""
        self.buttons.setEnabled(True)
        self.status.setText(f"Not saved: {error}")
        self.marks.mark(getattr(error, "field", None))


class AlertsSection(QWidget):
    """The rules of one allowance, with Add, Change, Remove and Snooze; emits :attr:`changed` after each change."""

    changed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        bridge: OperationBridge,
        allowance_id: str,
        unit: Unit,
        zone: ZoneInfo,
        rules: tuple[RuleView, ...],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.allowance_id = allowance_id
        self.unit = unit
        self.zone = zone
        self.views: tuple[RuleView, ...] = ()
        self.rule_dialog: RuleDialog | None = None
        title = QLabel("<b>Alerts</b>: tell me when… (each change is saved at once)")
        self.rules = QListWidget()
        self.rules.setMinimumHeight(120)
        self.rules.itemDoubleClicked.connect(self.change_rule)
        self.add_button = QPushButton("Add…")
        self.add_button.clicked.connect(self.add_rule)
        self.change_button = QPushButton("Change…")
        self.change_button.clicked.connect(self.change_rule)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_rule)
        self.snooze_button = QToolButton()
        self.snooze_button.setText("Snooze")
        self.snooze_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.snooze_button)
        for words, duration in SNOOZES:
            menu.addAction(words, partial(self.snooze, duration))
        self.snooze_button.setMenu(menu)
        self.status = QLabel()
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        for widget in (self.add_button, self.change_button, self.remove_button, self.snooze_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.rules)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.show_rules(rules)

    def show_rules(self, views: tuple[RuleView, ...]) -> None:
        """List ``views``, keeping the selection where it can."""
        chosen = self.selected()
        self.views = views
        self.rules.clear()
        for view in views:
            words = rule_service.describe_rule(view.rule, self.unit)
            text = words[:1].upper() + words[1:]
            if view.snoozed_until is not None:
                until = view.snoozed_until.astimezone(self.zone)
                text += f"  · snoozed until {until.day} {until:%b %H:%M}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, view.rule.id)
            self.rules.addItem(item)
            if view.rule.id == chosen:
                self.rules.setCurrentItem(item)
        if not views:
            empty = QListWidgetItem("No alerts: add one to be told before the allowance runs out")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.rules.addItem(empty)

    def selected(self) -> str:
        """The id of the selected rule, or ''."""
        item = self.rules.currentItem()
        data = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return str(data) if data else ""

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")
        self.status.setText(text)

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while a change runs."""
        for button in (self.add_button, self.change_button, self.remove_button, self.snooze_button):
            button.setEnabled(not busy)

    # ----- changes
    def _open_dialog(self, request: RuleRequest | None, rule_id: str) -> RuleDialog:
        if self.rule_dialog is not None:
            self.rule_dialog.close()
            self.rule_dialog.deleteLater()
        dialog = RuleDialog(self.unit, self.allowance_id, self)
        if request is not None:
            dialog.fill(request)
        dialog.submitted.connect(partial(self._store, dialog, rule_id))
        self.rule_dialog = dialog
        dialog.open()
        return dialog

    @Slot()
    def add_rule(self) -> None:
        """Open the rule dialog for a new rule."""
        self._open_dialog(None, "")

    @Slot()
    def change_rule(self) -> None:
        """Open the rule dialog on the selected rule."""
        rule_id = self.selected()
        if not rule_id:
            self._say("Select the alert to change first.", error=True)
            return
        view = next(v for v in self.views if v.rule.id == rule_id)
        self._open_dialog(rule_service.request_for(view.rule, self.unit), rule_id)

    def _store(self, dialog: RuleDialog, rule_id: str, request: RuleRequest) -> None:
        ctx, allowance_id = self.ctx, self.allowance_id

        def op() -> tuple[RuleView, ...]:
            if rule_id:
                rule_service.edit_rule(ctx, rule_id, request)
            else:
                rule_service.add_rules(ctx, request)
            return tuple(rule_service.rules_for(ctx, allowance_id))

        self.set_busy(True)
        self.bridge.run(op, partial(self._stored, dialog, bool(rule_id)), partial(self._refused, dialog), receiver=self)

    def _stored(self, dialog: RuleDialog, changed: bool, views: tuple[RuleView, ...]) -> None:
        self.set_busy(False)
        dialog.accept()
        self.show_rules(views)
        self._say("Alert changed." if changed else "Alert added.")
        self.changed.emit()

    def _refused(self, dialog: RuleDialog, error: TokenwalletError) -> None:
        self.set_busy(False)
        dialog.refused(error)

    @Slot()
    def remove_rule(self) -> None:
        """Remove the selected rule (its past alerts stay in the history)."""
        rule_id = self.selected()
        if not rule_id:
            self._say("Select the alert to remove first.", error=True)
            return
        ctx, allowance_id = self.ctx, self.allowance_id

        def op() -> tuple[RuleView, ...]:
            rule_service.remove_rule(ctx, rule_id)
            return tuple(rule_service.rules_for(ctx, allowance_id))

        self._run(op, "Alert removed; the alerts it sent stay in the history.")

    def snooze(self, duration: str) -> None:
        """Snooze the selected rule for ``duration`` (``1h``, ``1d``, ``7d``, ``period`` or ``off``)."""
        rule_id = self.selected()
        if not rule_id:
            self._say("Select the alert to snooze first.", error=True)
            return
        ctx, allowance_id = self.ctx, self.allowance_id

        def op() -> tuple[RuleView, ...]:
            rule_service.snooze_rule(ctx, rule_id, duration)
            return tuple(rule_service.rules_for(ctx, allowance_id))

        self._run(op, "Alert awake again." if duration == "off" else "Alert snoozed: it is still recorded, not shown.")

    def _run(self, op: Callable[[], tuple[RuleView, ...]], done: str) -> None:
        def shown(views: tuple[RuleView, ...]) -> None:
            self.set_busy(False)
            self.show_rules(views)
            self._say(done)
            self.changed.emit()

        def failed(error: TokenwalletError) -> None:
            self.set_busy(False)
            self._say(f"Not changed: {error}", error=True)

        self.set_busy(True)
        self.bridge.run(op, shown, failed, receiver=self)
