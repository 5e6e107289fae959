"""Alert history for the dashboard: a table model of alert events and a small widget around it (no I/O)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from tokenwallet.ui.locale_dates import format_moment, format_time

if TYPE_CHECKING:
    from tokenwallet.ledger.alerts import AlertEvent

_Index = QModelIndex | QPersistentModelIndex


def _local(at: datetime) -> tzinfo:
    """The system's zone at ``at`` (alert times are shown as the clock on the wall said them)."""
    zone = at.astimezone().tzinfo
    assert zone is not None
    return zone


_SEVERITY_COLORS = {"critical": QColor("#c0392b"), "warning": QColor("#b9770e"), "info": QColor("#2e7d32")}
_HELD = {"snoozed": "snoozed", "quiet": "held (quiet hours)", "muted": "notifications off"}


class AlertHistoryModel(QAbstractTableModel):
    """Alert events, newest first: fired time (local), severity, title, delivery."""

    HEADERS = ("Fired", "Severity", "Alert", "Delivery")

    _events: list[AlertEvent] = []  # a class default: a view being destroyed may still ask for rows

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._events = []

    def set_events(self, events: list[AlertEvent]) -> None:
        """Replace every row (given oldest first, shown newest first)."""
        self.beginResetModel()
        self._events = list(reversed(events))
        self.endResetModel()

    def event_at(self, row: int) -> AlertEvent:
        """The event shown in ``row``."""
        return self._events[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        """One row per event."""
        return 0 if parent.isValid() else len(self._events)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        """One column per header."""
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None
        return None

    @staticmethod
    def delivery_text(event: AlertEvent) -> str:
        """How the event reached the user."""
        held = event.extra.get("held")
        if held == "quiet" and event.delivered_at is not None:
            return f"after quiet hours, {format_time(event.delivered_at, _local(event.delivered_at))}"
        if held:
            return _HELD.get(str(held), str(held))
        return "notified" if event.delivered_at is not None else "recorded"

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Text, tooltips (the full message) and severity colours."""
        if not index.isValid() or not 0 <= index.row() < len(self._events):
            return None
        event = self._events[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return format_moment(event.fired_at, _local(event.fired_at))
            if column == 1:
                return event.severity
            if column == 2:
                return event.title
            return self.delivery_text(event)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{event.title}\n{event.message}"
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return _SEVERITY_COLORS.get(event.severity)
        return None


class AlertHistoryWidget(QWidget):
    """The dashboard's alert history; the app loads the events off the GUI thread and calls :meth:`show_events`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AlertHistoryModel(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.view.setAlternatingRowColors(True)
        self.empty = QLabel("No alerts yet. Rules fire once per crossing and re-arm each period.", self)
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.view)
        self.show_events([])

    def show_events(self, events: list[AlertEvent]) -> None:
        """Show ``events`` (oldest first, as the ledger lists them), or the explanation when there are none."""
        self.model.set_events(events)
        has_rows = self.model.rowCount() > 0
        self.empty.setVisible(not has_rows)
        self.view.setVisible(has_rows)
        self.view.resizeColumnToContents(0)
        self.view.resizeColumnToContents(1)
        self.view.resizeColumnToContents(3)
