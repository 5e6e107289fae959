"""Table models over plain rows (checked with pytest-qt's qtmodeltester)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from tokenwallet.domain.allowance import Unit
from tokenwallet.services.snapshot import AccountRow, ModelRow
from tokenwallet.ui.display import DisplayOptions, describe_age, format_amount

_Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """Base: a list of frozen rows, replaced as a whole on each refresh."""

    HEADERS: tuple[str, ...] = ()
    # Class-level defaults: a view destroyed after its model's Python side still asks for rows.
    _rows: list[Any] = []

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._options = DisplayOptions()
        self._now: datetime | None = None

    def set_rows(self, rows: list[Any], options: DisplayOptions, now: datetime | None = None) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = list(rows)
        self._options = options
        self._now = now
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        """Rows at the top level; a table has no children."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        """One column per header."""
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def row_at(self, row: int) -> Any:
        """The plain value behind ``row``."""
        return self._rows[row]


class ModelTableModel(RowsModel):
    """Spend by provider and model; estimated money is marked with a trailing '≈'."""

    HEADERS = ("Provider", "Model", "Requests", "Tokens", "Spend")

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, alignment and the estimate tooltip."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row: ModelRow = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return row.provider
            if column == 1:
                return row.model
            if column == 2:
                return f"{row.requests:,}"
            if column == 3:
                return format_amount(row.tokens, Unit.TOKENS, self._options)
            if column == 4:
                if row.cost_micros is None:
                    # API token counts arrive without money; the provider's cost rows carry it.
                    return "unpriced" if row.unpriced else "in provider's cost total"
                text = format_amount(row.cost_micros, Unit.USD, self._options)
                return f"≈ {text} (estimate)" if row.estimated else text
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and row.estimated:
            return "Estimated from local agent logs and list prices, not billed by the provider"
        return None


class AccountTableModel(RowsModel):
    """Accounts with last sync, next poll and the last error in plain words."""

    HEADERS = ("Account", "Kind", "Last sync", "Next poll", "Status")

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text and the error tooltip."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row: AccountRow = self._rows[index.row()]
        now = self._now
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return row.account.label
            if column == 1:
                return row.account.kind.value
            if column == 2:
                return describe_age(row.last_success, now) if now else ""
            if column == 3:
                if row.next_due is None or now is None:
                    return "—"
                seconds = int((row.next_due - now).total_seconds())
                return "due now" if seconds <= 0 else f"in {max(1, seconds // 60)} min"
            if column == 4:
                return row.error or "OK"
        if role == Qt.ItemDataRole.ToolTipRole and row.error:
            return row.error
        if role == Qt.ItemDataRole.ForegroundRole and column == 4 and row.error:
            from PySide6.QtGui import QColor

            return QColor("#c62828")
        return None
