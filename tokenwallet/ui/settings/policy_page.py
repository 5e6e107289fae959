"""The settings' Policy page: import your employer's token policy, with the same preview and diff as the CLI.

"Import policy…" picks a file; the page then shows what importing it would do (read and checked on
a worker, nothing written): for a new revision the changes against the one imported, and the
steps (allowances to create or change, top-ups, vesting instalments, alerts).  "Apply" carries the
plan out (:func:`tokenwallet.services.policy.apply_import`); the active policies are listed above.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.domain.errors import PolicyFileError
from tokenwallet.services import policy as policy_service
from tokenwallet.services.policy import ActivePolicy, ImportKind, ImportPlan
from tokenwallet.ui.settings.changes import Step, Tone

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.ui.settings.changes import SettingsChanges, SettingsData

ChooseFile = Callable[[QWidget], str | None]


def ask_policy_file(parent: QWidget) -> str | None:
    """The platform's file picker for a policy file; None when cancelled."""
    chosen, _ = QFileDialog.getOpenFileName(
        parent, "Import your employer's token policy", str(Path.home()), "Policy files (*.toml *.json);;All files (*)"
    )
    return chosen or None


def read_plan(ctx: AppContext, path: str) -> ImportPlan:
    """Read and check the policy file at ``path`` and work out what importing it would do (on a worker)."""
    return policy_service.plan_import(ctx, policy_service.read_file(path), Path(path).name)


def read_active(ctx: AppContext) -> tuple[ActivePolicy, ...]:
    """The imported policies at their newest revision (on a worker)."""
    return tuple(policy_service.active_policies(ctx))


def plan_html(plan: ImportPlan) -> str:
    """The preview of an import: what the file is, what changed since the revision imported, what will happen."""
    p = plan.policy
    head = (
        f"<b>{escape(p.employer)}</b>: policy <tt>{escape(p.policy_id)}</tt> revision {p.revision}, "
        f"effective {p.effective}"
    )
    if plan.kind is ImportKind.NEW:
        head += " (not imported before)."
    elif plan.kind is ImportKind.SAME:
        head += " (imported already)."
    elif plan.previous is not None:
        head += f" (replaces revision {plan.previous.revision})."
    parts = [f"<p>{head}</p>"]
    if plan.kind is ImportKind.UPGRADE and plan.changes:
        items = "".join(f"<li><tt>{escape(change.text())}</tt></li>" for change in plan.changes)
        since = plan.previous.revision if plan.previous else ""
        parts.append(f"<p><b>Changes in the policy since revision {since}:</b></p><ul>{items}</ul>")
    if plan.nothing_to_do:
        parts.append("<p>Nothing to change: your allowances already follow this revision.</p>")
    else:
        title = "Importing it will:" if plan.kind is not ImportKind.SAME else "Importing it will restore:"
        items = "".join(f"<li>{escape(step.text())}</li>" for step in plan.steps)
        parts.append(f"<p><b>{title}</b></p><ul>{items}</ul>")
        parts.append(
            "<p>Recorded spend stays; every change goes to the audit log with the policy's id and revision.</p>"
        )
    return "".join(parts)


class PolicyPage(QWidget):
    """The active policies, and importing a (new revision of a) policy file with a preview first."""

    imported = Signal()
    """A policy was imported (the allowances changed)."""

    def __init__(
        self, changes: SettingsChanges, parent: QWidget | None = None, *, choose_file: ChooseFile = ask_policy_file
    ) -> None:
        super().__init__(parent)
        self.changes = changes
        self.choose_file = choose_file
        self.plan: ImportPlan | None = None
        self._reads = changes.bridge.lane("policies")
        intro = QLabel(
            "An employer's token policy file (TOML or JSON) becomes your allowances, and stays in step with "
            "each new revision. You see what an import will do before anything changes."
        )
        intro.setWordWrap(True)
        self.active = QListWidget()
        self.active.setMaximumHeight(110)
        self.import_button = QPushButton("Import policy…")
        self.import_button.clicked.connect(self.choose)
        self.preview = QTextBrowser()
        self.preview.setOpenLinks(False)
        self.preview.setPlaceholderText("Choose a policy file to see what importing it would do.")
        self.apply_button = QPushButton("Apply")
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("<b>Active policies</b>"))
        layout.addWidget(self.active)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        self._show_plan(None)
        changes.busy_changed.connect(self._set_busy)

    @Slot(bool)
    def _set_busy(self, busy: bool) -> None:
        self.import_button.setEnabled(not busy)
        self.apply_button.setEnabled(not busy and self.plan is not None and not self.plan.nothing_to_do)

    def fill(self, data: SettingsData) -> None:
        """Read the active policies again (on a worker)."""
        self.changes.bridge.run(
            partial(read_active, self.changes.ctx), self._show_active, self._not_read, lane=self._reads, receiver=self
        )

    def _show_active(self, active: tuple[ActivePolicy, ...]) -> None:
        self.active.clear()
        for entry in active:
            p = entry.policy
            names = ", ".join(link.name for link in entry.links if link.retired_revision is None) or "no allowances"
            self.active.addItem(
                f"{p.employer}: {p.policy_id} revision {p.revision}, effective {p.effective} · "
                f"imported {entry.imported_at.date()} from {entry.source} · {names}"
            )
        if not active:
            self.active.addItem("None imported yet")

    def _not_read(self, error: TokenwalletError) -> None:
        self.changes.say(f"Could not read the imported policies: {error}", error=True)

    def _show_plan(self, plan: ImportPlan | None) -> None:
        self.plan = plan
        can_apply = plan is not None and not plan.nothing_to_do
        self.apply_button.setVisible(can_apply)
        self.apply_button.setEnabled(can_apply and not self.changes.busy)
        self.cancel_button.setVisible(plan is not None)
        if plan is None:
            self.preview.clear()
        else:
            self.preview.setHtml(plan_html(plan))

    def unsaved(self) -> list[str]:
        """A previewed import not applied yet."""
        if self.plan is None or self.plan.nothing_to_do:
            return []
        return [
            f"Policy: revision {self.plan.policy.revision} of {self.plan.policy.policy_id} was previewed, not imported"
        ]

    def discard(self) -> None:
        """Forget the previewed import."""
        self._show_plan(None)

    def save_steps(self) -> list[Step]:
        """The step that applies the previewed import."""
        return [self._apply_step()] if self.unsaved() else []

    @Slot()
    def choose(self) -> None:
        """Pick a policy file, then show what importing it would do."""
        path = self.choose_file(self)
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> None:
        """Read and check ``path`` on a worker, then show the preview (or why the file cannot be used)."""
        self._show_plan(None)
        self.preview.setHtml(f"<p>Reading {escape(Path(path).name)}…</p>")
        self.changes.bridge.run(
            partial(read_plan, self.changes.ctx, path), self._planned, partial(self._refused, path), receiver=self
        )

    def _planned(self, plan: ImportPlan) -> None:
        self._show_plan(plan)
        self.changes.say(
            "Nothing to import." if plan.nothing_to_do else "Check what the import will do, then choose Apply.",
            tone=Tone.PLAIN,
        )

    def _refused(self, path: str, error: TokenwalletError) -> None:
        self._show_plan(None)
        if isinstance(error, PolicyFileError):
            items = "".join(f"<li><tt>{escape(p)}</tt></li>" for p in error.problems)
            name = escape(Path(path).name)
            text = f"<p><b>{name} is not a valid policy file</b>; change it and import it again:</p><ul>{items}</ul>"
        else:
            text = f"<p><b>Nothing was imported:</b> {escape(str(error))}</p>"
        self.preview.setHtml(f'<div style="color: #c62828;">{text}</div>')
        self.changes.say("The policy file cannot be imported as it is.", error=True)

    def _apply_step(self) -> Step:
        plan = self.plan
        assert plan is not None
        return Step(
            f"Importing {plan.policy.policy_id} revision {plan.policy.revision}",
            partial(policy_service.apply_import, self.changes.ctx, plan),
            self._applied,
        )

    @Slot()
    def apply(self) -> None:
        """Carry the previewed import out (one transaction)."""
        if self.plan is not None and not self.plan.nothing_to_do:
            self.changes.run(self._apply_step())

    def _applied(self, plan: object) -> None:
        assert isinstance(plan, ImportPlan)
        self._show_plan(None)
        count = len(plan.steps)
        self.preview.setHtml(
            f"<p>Imported <tt>{escape(plan.policy.policy_id)}</tt> revision {plan.policy.revision}: {count} change"
            f"{'s' if count != 1 else ''}. The allowances it owns show its name in their editor.</p>"
        )
        self.imported.emit()

    @Slot()
    def cancel(self) -> None:
        """Drop the preview; nothing was imported."""
        self._show_plan(None)
        self.changes.say("Nothing was imported.", tone=Tone.PLAIN)
