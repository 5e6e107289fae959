"""The dashboard window: allowance cards, the period chart, spend by model and the accounts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.services.snapshot import LedgerSnapshot
from tokenwallet.ui.dashboard.alert_history import AlertHistoryWidget
from tokenwallet.ui.dashboard.allowance_card import AllowanceCard
from tokenwallet.ui.dashboard.models import AccountTableModel, ModelTableModel
from tokenwallet.ui.display import DisplayOptions, describe_age

if TYPE_CHECKING:
    from tokenwallet.ui.dashboard.spend_chart import SpendChart

DEMO_STYLE = "background: #fff3e0; color: #e65100; border-radius: 4px; padding: 3px 8px; font-weight: bold;"


def _table(model: ModelTableModel | AccountTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.setShowGrid(False)
    return view


class DashboardWindow(QMainWindow):
    """Shows a :class:`LedgerSnapshot` and alert events; asks the app (by signals) to refresh or open settings."""

    refresh_requested = Signal()
    settings_requested = Signal()
    hide_amounts_changed = Signal(bool)
    quit_requested = Signal()
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("tokenwallet")
        self.resize(920, 820)
        self.snapshot: LedgerSnapshot | None = None
        self.options = DisplayOptions()
        self.demo = False
        self.keep_in_tray = True  # False when no tray exists: closing the window then quits
        central = QWidget()
        outer = QVBoxLayout(central)

        header = QHBoxLayout()
        title = QLabel("tokenwallet")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        header.addWidget(title)
        self.demo_label = QLabel("Demo data")
        self.demo_label.setStyleSheet(DEMO_STYLE)
        self.demo_label.setToolTip("Sample figures from the built-in emulator. Add your own account in Settings.")
        header.addWidget(self.demo_label)
        header.addStretch(1)
        self.updated = QLabel()
        header.addWidget(self.updated)
        self.hide_amounts = QCheckBox("Hide amounts")
        self.hide_amounts.setToolTip("Mask every amount, e.g. while sharing your screen")
        self.hide_amounts.toggled.connect(self._on_hide_amounts)
        header.addWidget(self.hide_amounts)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_requested)
        header.addWidget(refresh)
        export = QPushButton("Export report…")
        export.clicked.connect(self.export_requested)
        header.addWidget(export)
        settings = QPushButton("Settings…")
        settings.clicked.connect(self.settings_requested)
        header.addWidget(settings)
        outer.addLayout(header)

        self.cards_box = QVBoxLayout()
        self.cards: list[AllowanceCard] = []
        self.empty = QLabel(
            "No allowance yet. Open <b>Settings…</b> to add your allowance and an account, "
            "or run <code>tokenwallet allowance add</code>."
        )
        self.empty.setWordWrap(True)
        self.cards_box.addWidget(self.empty)
        cards_widget = QWidget()
        cards_widget.setLayout(self.cards_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(cards_widget)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumHeight(250)
        outer.addWidget(scroll, 3)

        chart_row = QHBoxLayout()
        chart_row.addWidget(QLabel("Chart:"))
        self.chart_choice = QComboBox()
        self.chart_choice.currentIndexChanged.connect(self._redraw_chart)
        chart_row.addWidget(self.chart_choice, 1)
        outer.addLayout(chart_row)
        self.chart_host = QVBoxLayout()
        outer.addLayout(self.chart_host, 4)
        self.chart: SpendChart | None = None  # built on first show: QtCharts is imported only then

        self.tabs = QTabWidget()
        self.model_table = ModelTableModel(self)
        self.account_table = AccountTableModel(self)
        self.tabs.addTab(_table(self.model_table), "By provider and model")
        self.tabs.addTab(_table(self.account_table), "Accounts")
        self.alert_history = AlertHistoryWidget()
        self.tabs.addTab(self.alert_history, "Alerts")
        outer.addWidget(self.tabs, 3)
        self.setCentralWidget(central)

    def _ensure_chart(self) -> None:
        if self.chart is None:
            from tokenwallet.ui.dashboard.spend_chart import SpendChart

            self.chart = SpendChart()
            self.chart_host.addWidget(self.chart)

    def set_options(self, options: DisplayOptions, *, demo: bool) -> None:
        """Change how amounts are shown; redraws from the last snapshot."""
        self.options = options
        self.demo = demo
        self.hide_amounts.blockSignals(True)
        self.hide_amounts.setChecked(options.hide_amounts)
        self.hide_amounts.blockSignals(False)
        if self.snapshot is not None:
            self.show_snapshot(self.snapshot)

    @Slot(bool)
    def _on_hide_amounts(self, hidden: bool) -> None:
        from dataclasses import replace

        self.set_options(replace(self.options, hide_amounts=hidden), demo=self.demo)
        self.hide_amounts_changed.emit(hidden)

    def show_snapshot(self, snapshot: LedgerSnapshot, now: datetime | None = None) -> None:
        """Show ``snapshot`` in every part of the window."""
        self.snapshot = snapshot
        now = now or snapshot.taken_at
        self.demo_label.setVisible(self.demo)
        failing = " · a poll failed, see Accounts" if snapshot.failing else ""
        self.updated.setText(f"Updated {describe_age(snapshot.last_update, now)}{failing}")
        while len(self.cards) < len(snapshot.allowances):
            card = AllowanceCard()
            self.cards.append(card)
            self.cards_box.addWidget(card)
        for card, view in zip(self.cards, snapshot.allowances, strict=False):
            card.show_view(view, self.options)
            card.show()
        for card in self.cards[len(snapshot.allowances) :]:
            card.hide()
        self.empty.setVisible(not snapshot.allowances)
        names = [v.status.name for v in snapshot.allowances]
        current = self.chart_choice.currentText()
        if [self.chart_choice.itemText(i) for i in range(self.chart_choice.count())] != names:
            self.chart_choice.blockSignals(True)
            self.chart_choice.clear()
            self.chart_choice.addItems(names)
            if current in names:
                self.chart_choice.setCurrentText(current)
            self.chart_choice.blockSignals(False)
        self._redraw_chart()
        self.model_table.set_rows(list(snapshot.models), self.options, now)
        self.account_table.set_rows(list(snapshot.accounts), self.options, now)

    @Slot()
    def _redraw_chart(self) -> None:
        if self.snapshot is None:
            return
        self._ensure_chart()
        assert self.chart is not None
        index = self.chart_choice.currentIndex()
        views = self.snapshot.allowances
        self.chart.show_view(views[index] if 0 <= index < len(views) else None, self.options)

    def bring_forward(self) -> None:
        """Show, un-minimise and raise the window (a second launch or a tray click)."""
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the window keeps the app in the tray (or quits when there is no tray)."""
        event.ignore()
        self.hide()
        if not self.keep_in_tray:
            self.quit_requested.emit()
