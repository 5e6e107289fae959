"""The settings' Agents page: switches for the status line and the guard in Claude Code, Codex CLI and Gemini CLI.

A switch installs or takes out tokenwallet's entries at once, with the same installer as ``tokenwallet
agents install``/``uninstall`` (:mod:`tokenwallet.agents.wiring`), on a worker.  Each agent's line
says what ``agents status`` says: the file, what is installed, and, in red, when the file cannot be
parsed (it is then left alone, and the switches wait until it is fixed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.agents import install as inst
from tokenwallet.agents import wiring
from tokenwallet.domain.errors import UserInputError
from tokenwallet.ui.settings.field_marks import FieldMarks

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.ui.settings.changes import SettingsChanges, SettingsData

ConfirmReplace = Callable[[QWidget, str], bool]


def ask_replace_statusline(parent: QWidget, current: str) -> bool:
    """Whether to replace a status line that is not tokenwallet's (a backup of the file is kept)."""
    answer = QMessageBox.question(
        parent,
        "Replace the status line?",
        f"Claude Code already shows another status line:\n\n{current}\n\nReplace it with tokenwallet's? "
        "A backup of the settings file is kept next to it.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


@dataclass(frozen=True, slots=True)
class AgentsState:
    """What the page shows: each agent's installed entries, and when the meter snapshot was written."""

    agents: tuple[inst.AgentState, ...]
    meter_written: str | None


def read_agents(ctx: AppContext) -> AgentsState:
    """Read each agent's settings file and the meter snapshot (on a worker)."""
    from tokenwallet.services.agent_files import read_meter

    meter = read_meter(str(ctx.paths.cache_dir))
    written = meter.get("generated_at_iso") if meter else None
    return AgentsState(tuple(wiring.agent_states()), str(written) if written else None)


def _short(path: Path) -> str:
    """``~/.claude/settings.json`` rather than the whole home folder."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class AgentBox(QGroupBox):
    """One agent: its file, its switches and what is installed."""

    def __init__(self, agent: str, parent: QWidget | None = None) -> None:
        super().__init__(inst.LABELS[agent], parent)
        self.agent = agent
        self.statusline = QCheckBox("Status line (what is left, in the agent's status bar)")
        self.guard = QCheckBox("Guard (warn or stop the agent before the allowance runs out)")
        self.where = QLabel()
        self.where.setStyleSheet("color: #555;")
        self.where.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        switches = QHBoxLayout()
        if agent == "claude-code":
            switches.addWidget(self.statusline)
        switches.addWidget(self.guard)
        switches.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(switches)
        layout.addWidget(self.where)
        layout.addWidget(self.problem)

    def show_state(self, state: inst.AgentState) -> None:
        """Set the switches and the lines from ``state`` (without installing anything)."""
        for box in (self.statusline, self.guard):
            box.blockSignals(True)
        self.statusline.setChecked(state.statusline_ours)
        self.guard.setChecked(bool(state.guard_events))
        for box in (self.statusline, self.guard):
            box.blockSignals(False)
        file = _short(state.path) + ("" if state.exists else " (not there yet; made when a switch is turned on)")
        parts = [file]
        if state.agent == "claude-code" and state.statusline and not state.statusline_ours:
            parts.append(f"its own status line: {state.statusline}")
        if state.guard_events:
            parts.append("guard on " + ", ".join(state.guard_events))
        self.where.setText(" · ".join(parts))
        if state.problem:
            self.problem.setText(f"Cannot read this file, so tokenwallet leaves it alone: {state.problem}")
        self.problem.setVisible(bool(state.problem))
        for box in (self.statusline, self.guard):
            box.setEnabled(not state.problem)


class AgentsPage(QWidget):
    """Switches that install tokenwallet into coding agents, and what is installed where."""

    def __init__(
        self,
        changes: SettingsChanges,
        parent: QWidget | None = None,
        *,
        confirm_replace: ConfirmReplace = ask_replace_statusline,
    ) -> None:
        super().__init__(parent)
        self.changes = changes
        self.confirm_replace = confirm_replace
        self.state: AgentsState | None = None
        self._reads = changes.bridge.lane("agents")
        intro = QLabel(
            "Coding agents can see what is left of your allowance and stop before it is gone. Each switch "
            "changes the agent's own settings file at once (every other setting is kept, with a backup), "
            "as <tt>tokenwallet agents install</tt> does."
        )
        intro.setWordWrap(True)
        options = QGroupBox("The guard")
        form = QFormLayout(options)
        self.allowance = QComboBox()
        self.reserve = QLineEdit()
        self.reserve.setPlaceholderText("e.g. 5: keep this much back (empty: only when exhausted)")
        self.mode = QComboBox()
        self.mode.addItem("block: stop prompts and tool calls", "block")
        self.mode.addItem("warn: tell the agent, never stop it", "warn")
        self.apply_options = QPushButton("Apply to installed guards")
        self.apply_options.clicked.connect(self.update_guards)
        form.addRow("Watches", self.allowance)
        form.addRow("Reserve", self.reserve)
        form.addRow("Mode", self.mode)
        apply_row = QHBoxLayout()
        apply_row.addStretch(1)
        apply_row.addWidget(self.apply_options)
        form.addRow(apply_row)
        self.marks = FieldMarks({"reserve": self.reserve, "mode": self.mode, "allowance": self.allowance})
        self.boxes = {agent: AgentBox(agent) for agent in inst.AGENTS}
        self.meter = QLabel()
        self.meter.setStyleSheet("color: #555;")
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(options)
        for box in self.boxes.values():
            layout.addWidget(box)
        layout.addWidget(self.meter)
        layout.addWidget(self.status)
        layout.addStretch(1)
        for agent, box in self.boxes.items():
            box.statusline.toggled.connect(partial(self._switched, agent, "statusline"))
            box.guard.toggled.connect(partial(self._switched, agent, "guard"))

    def fill(self, data: SettingsData) -> None:
        """List the allowances the guard can watch, then read what is installed."""
        chosen = self.allowance.currentData()
        self.allowance.clear()
        self.allowance.addItem("the primary allowance (the one closest to running out)", "")
        for allowance in data.allowances:
            self.allowance.addItem(allowance.name, allowance.name)
        self.allowance.setCurrentIndex(max(0, self.allowance.findData(chosen or "")))
        self.refresh()

    def refresh(self) -> None:
        """Read each agent's file again (on a worker)."""
        self.changes.bridge.run(
            partial(read_agents, self.changes.ctx), self.show_state, self._not_read, lane=self._reads, receiver=self
        )

    def show_state(self, state: AgentsState) -> None:
        """Show what is installed."""
        self.state = state
        for agent_state in state.agents:
            self.boxes[agent_state.agent].show_state(agent_state)
        self.meter.setText(
            f"Meter snapshot the status line and the guard read: written {state.meter_written}."
            if state.meter_written
            else "Meter snapshot: none yet; the next change to the ledger writes it."
        )

    def _not_read(self, error: TokenwalletError) -> None:
        self._say(f"Could not read the agents' settings: {error}", error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")
        self.status.setText(text)

    def options(self) -> wiring.GuardOptions:
        """The guard's options as the form shows them."""
        return wiring.GuardOptions(
            allowance=self.allowance.currentData() or None,
            reserve=self.reserve.text().strip() or None,
            mode=str(self.mode.currentData()),
        )

    def _set_switches(self, enabled: bool) -> None:
        for box in self.boxes.values():
            box.statusline.setEnabled(enabled)
            box.guard.setEnabled(enabled)
        self.apply_options.setEnabled(enabled)

    def _switched(self, agent: str, what: str, on: bool, *, force: bool = False) -> None:
        """A switch was turned: install or take out that entry now, off the GUI thread."""
        home = self.changes.ctx.paths.home
        statusline, guard = what == "statusline", what == "guard"
        op: Callable[[], Any]
        if on:
            op = partial(
                wiring.install_agent,
                agent,
                home=home,
                statusline=statusline,
                guard=guard,
                options=self.options(),
                force=force,
            )
        else:
            op = partial(wiring.uninstall_agent, agent, statusline=statusline, guard=guard)
        self._run(op, agent, what, on)

    @Slot()
    def update_guards(self) -> None:
        """Install the guard again, with the options shown, wherever it is installed."""
        installed = [s.agent for s in self.state.agents if s.guard_events] if self.state is not None else []
        if not installed:
            self._say("No guard is installed yet: turn one on below.", error=True)
            return
        home, options = self.changes.ctx.paths.home, self.options()

        def op() -> list[inst.Change]:
            return [
                wiring.install_agent(agent, home=home, statusline=False, guard=True, options=options)
                for agent in installed
            ]

        self._run(op, "", "guard", True)

    def _run(self, op: Callable[[], Any], agent: str, what: str, on: bool) -> None:
        self.marks.clear()
        self._set_switches(False)
        self._say("Changing the agent's settings…")
        self.changes.bridge.run(
            op, partial(self._done, agent, what, on), partial(self._failed, agent, what, on), receiver=self
        )

    def _done(self, agent: str, what: str, on: bool, result: object) -> None:
        self._set_switches(True)
        changes = result if isinstance(result, list) else [result]
        done = [c for c in changes if isinstance(c, inst.Change) and c.changed]
        if done:
            lines = [f"{inst.LABELS[c.agent]}: {'; '.join(c.actions)} ({_short(c.path)})" for c in done]
            backups = [c for c in done if c.backup is not None]
            self._say(" ".join(lines) + (" A backup of the previous file was kept." if backups else ""))
        else:
            self._say("Nothing to change: the settings already say so.")
        self.refresh()

    def _failed(self, agent: str, what: str, on: bool, error: TokenwalletError) -> None:
        self._set_switches(True)
        if isinstance(error, UserInputError) and error.field == "force" and agent and on:
            current = (
                next((s.statusline or "" for s in self.state.agents if s.agent == agent), "") if self.state else ""
            )
            if self.confirm_replace(self, current):
                self._switched(agent, what, on, force=True)
                return
            self._say("The other status line was kept.")
        else:
            self._say(f"Nothing was changed: {error}", error=True)
            self.marks.mark(getattr(error, "field", None))
        self.refresh()  # the switch goes back to what the file says
