"""The dashboard window: allowance and provider-limit cards, the period chart, compensation, spend by model, accounts.

Widgets are made once and refreshed in place: a refresh replaces the values they show, never the
widgets themselves (only a changed set of link suggestions is rebuilt), so a window left open all
day keeps its memory flat.  It does no I/O: what the user asks for leaves as signals.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.domain.meter import LinkSuggestion
from tokenwallet.services.compensation import CompensationView
from tokenwallet.services.snapshot import LedgerSnapshot
from tokenwallet.ui.dashboard.alert_history import AlertHistoryWidget
from tokenwallet.ui.dashboard.allowance_card import AllowanceCard
from tokenwallet.ui.dashboard.compensation_view import CompensationWidget
from tokenwallet.ui.dashboard.limit_card import LimitCard
from tokenwallet.ui.dashboard.models import AccountTableModel, ModelTableModel
from tokenwallet.ui.dashboard.month_card import MonthCard
from tokenwallet.ui.dashboard.spend_chart import SpendChart, month_series, value_format, view_series
from tokenwallet.ui.display import DisplayOptions, describe_age

DEMO_STYLE = "background: #fff3e0; color: #e65100; border-radius: 4px; padding: 3px 8px; font-weight: bold;"
NOTICE_STYLE = "QFrame#notice { background: #fff8e1; border: 1px solid #ffe082; border-radius: 4px; }"
PROBLEM_STYLE = "color: #b71c1c;"
DEFAULT_SIZE = (1180, 720)
"""Fits a 1280×800 screen with a panel and the window's title bar."""
COMPENSATION_EVERY = 60.0
"""Seconds between reloads of the compensation figures while that view is open (they change slowly)."""


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


def _scroll(widget: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(widget)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll


def suggestion_command(suggestion: LinkSuggestion) -> str:
    """The command that makes a suggested link (what the button does)."""
    return f"tokenwallet account edit {suggestion.logs} --billed-by {suggestion.account}"


class SuggestionRow(QFrame):
    """One suggested link: what was seen, the command, and a button that makes the link."""

    def __init__(self, suggestion: LinkSuggestion, logs: str, account: str, window: DashboardWindow) -> None:
        super().__init__()
        self.setObjectName("notice")
        self.setStyleSheet(NOTICE_STYLE)
        self.suggestion = suggestion
        layout = QHBoxLayout(self)
        self.text = text = QLabel(
            f"<b>{logs}</b> looks billed through <b>{account}</b>: on {suggestion.days} day(s) its tokens per "
            f"model ({suggestion.tokens:,}) were within what {account} reported, so they may be counted twice. "
            f"Link them so they count once (<code>{suggestion_command(suggestion)}</code>)."
        )
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(text, 1)
        self.button = QPushButton("Link them")
        self.button.setToolTip(f"Count {logs} only where {account} has not reported yet")
        self.button.clicked.connect(self._link)
        self.window_ = window
        layout.addWidget(self.button)

    def _link(self) -> None:
        self.button.setEnabled(False)
        self.button.setText("Linking…")
        self.window_.link_requested.emit(self.suggestion.logs, self.suggestion.account)


class DashboardWindow(QMainWindow):
    """Shows a :class:`LedgerSnapshot` and alert events; asks the app (by signals) for everything else."""

    refresh_requested = Signal()
    settings_requested = Signal()
    hide_amounts_changed = Signal(bool)
    quit_requested = Signal()
    export_requested = Signal()
    link_requested = Signal(str, str)
    """An agent-log source (id) and the account (id) it is billed through: make the link."""
    make_allowance_requested = Signal(int)
    """Open the allowance editor with a monthly usd allowance of this amount (micro-USD) filled in."""
    compensation_requested = Signal()
    """The Compensation view is shown: load its figures (answer with :meth:`show_compensation`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("tokenwallet")
        self.snapshot: LedgerSnapshot | None = None
        self.compensation: CompensationView | None = None
        self._compensation_asked = 0.0
        self.options = DisplayOptions()
        self.demo = False
        self.keep_in_tray = True  # False when no tray exists: closing the window then quits
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 6, 8, 8)

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

        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(PROBLEM_STYLE)
        self.problems.hide()
        outer.addWidget(self.problems)
        self.suggestions_box = QVBoxLayout()
        self.suggestion_rows: list[SuggestionRow] = []
        self._shown_suggestions: tuple[LinkSuggestion, ...] = ()
        outer.addLayout(self.suggestions_box)

        # Overview: the cards (allowances, or this month when there is none) and the provider limits,
        # above the chart of the chosen allowance's period.
        self.cards_box = QVBoxLayout()
        self.cards: list[AllowanceCard] = []
        self.empty = QLabel(
            "No allowance yet. Open <b>Settings…</b> to add your allowance and an account, "
            "or run <code>tokenwallet allowance add</code>."
        )
        self.empty.setWordWrap(True)
        self.cards_box.addWidget(self.empty)
        self.month_card = MonthCard()
        self.month_card.make_allowance.connect(self.make_allowance_requested)
        self.month_card.hide()
        self.cards_box.addWidget(self.month_card)
        cards_widget = QWidget()
        cards_layout = QVBoxLayout(cards_widget)
        cards_layout.setContentsMargins(0, 0, 0, 0)
        cards_layout.addLayout(self.cards_box)
        cards_layout.addStretch(1)
        self.limits_box = QVBoxLayout()
        self.limit_cards: list[LimitCard] = []
        limits_widget = QWidget()
        limits_layout = QVBoxLayout(limits_widget)
        limits_layout.setContentsMargins(0, 0, 0, 0)
        limits_title = QLabel("<b>Provider limits</b>")
        limits_title.setToolTip("Budgets, balances and plan windows the providers enforce themselves")
        limits_layout.addWidget(limits_title)
        limits_layout.addLayout(self.limits_box)
        limits_layout.addStretch(1)
        self.limits_scroll = _scroll(limits_widget)
        self.limits_scroll.setMinimumWidth(260)
        self.limits_scroll.hide()
        top = QWidget()
        top_row = QHBoxLayout(top)
        top_row.setContentsMargins(0, 0, 0, 0)
        top_row.addWidget(_scroll(cards_widget), 3)
        top_row.addWidget(self.limits_scroll, 1)

        chart_widget = QWidget()
        chart_layout = QVBoxLayout(chart_widget)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_row = QHBoxLayout()
        chart_row.addWidget(QLabel("Chart:"))
        self.chart_choice = QComboBox()
        self.chart_choice.currentIndexChanged.connect(self._redraw_chart)
        chart_row.addWidget(self.chart_choice, 1)
        chart_layout.addLayout(chart_row)
        self.chart = SpendChart()
        chart_layout.addWidget(self.chart, 1)

        overview = QSplitter(Qt.Orientation.Vertical)
        overview.addWidget(top)
        overview.addWidget(chart_widget)
        overview.setChildrenCollapsible(False)
        overview.setSizes([340, 300])  # the cards first; the chart below keeps room for its axes
        self.overview = overview

        self.tabs = QTabWidget()
        self.tabs.addTab(overview, "Overview")
        self.compensation_view = CompensationWidget()
        self.compensation_view.shown.connect(self._on_compensation_shown)
        self.tabs.addTab(self.compensation_view, "Compensation")
        self.model_table = ModelTableModel(self)
        self.account_table = AccountTableModel(self)
        self.tabs.addTab(_table(self.model_table), "By provider and model")
        self.tabs.addTab(_table(self.account_table), "Accounts")
        self.alert_history = AlertHistoryWidget()
        self.tabs.addTab(self.alert_history, "Alerts")
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self._fit_screen()

    def _fit_screen(self) -> None:
        """Open at a size that fits the screen (1280×800 included), never larger than its free area."""
        width, height = DEFAULT_SIZE
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            free = screen.availableGeometry()
            width, height = min(width, free.width() - 20), min(height, free.height() - 60)
        self.resize(width, height)

    def set_options(self, options: DisplayOptions, *, demo: bool) -> None:
        """Change how amounts are shown; redraws from the last snapshot."""
        self.options = options
        self.demo = demo
        self.hide_amounts.blockSignals(True)
        self.hide_amounts.setChecked(options.hide_amounts)
        self.hide_amounts.blockSignals(False)
        if self.snapshot is not None:
            self.show_snapshot(self.snapshot)
        if self.compensation is not None:
            self.compensation_view.show_view(self.compensation, options)

    @Slot(bool)
    def _on_hide_amounts(self, hidden: bool) -> None:
        self.set_options(replace(self.options, hide_amounts=hidden), demo=self.demo)
        self.hide_amounts_changed.emit(hidden)

    def show_snapshot(self, snapshot: LedgerSnapshot, now: datetime | None = None) -> None:
        """Show ``snapshot`` in every part of the window."""
        self.snapshot = snapshot
        now = now or snapshot.taken_at
        self.demo_label.setVisible(self.demo)
        failing = " · a poll failed, see Accounts" if snapshot.failing else ""
        self.updated.setText(f"Updated {describe_age(snapshot.last_update, now)}{failing}")
        self.problems.setText("\n".join(snapshot.problems))
        self.problems.setVisible(bool(snapshot.problems))
        self._show_suggestions(snapshot)

        while len(self.cards) < len(snapshot.allowances):
            card = AllowanceCard()
            self.cards.append(card)
            self.cards_box.addWidget(card)
        for card, view in zip(self.cards, snapshot.allowances, strict=False):
            card.show_view(view, self.options, snapshot.label)
            card.show()
        for card in self.cards[len(snapshot.allowances) :]:
            card.hide()
        month = snapshot.month_to_date if not snapshot.allowances else None
        if month is not None:
            self.month_card.show_month(month, self.options, snapshot.label)
        self.month_card.setVisible(month is not None)
        self.empty.setVisible(not snapshot.allowances and month is None)

        while len(self.limit_cards) < len(snapshot.limits):
            limit_card = LimitCard()
            self.limit_cards.append(limit_card)
            self.limits_box.addWidget(limit_card)
        for limit_card, limit in zip(self.limit_cards, snapshot.limits, strict=False):
            limit_card.show_limit(limit, self.options, now)
            limit_card.show()
        for limit_card in self.limit_cards[len(snapshot.limits) :]:
            limit_card.hide()
        self.limits_scroll.setVisible(bool(snapshot.limits))

        names = [v.status.name for v in snapshot.allowances] or (["This month"] if month is not None else [])
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
        if self.compensation_view.isVisible():
            self._ask_compensation()

    def _show_suggestions(self, snapshot: LedgerSnapshot) -> None:
        """One row per suggested link; rebuilt only when the suggestions change."""
        if snapshot.suggestions == self._shown_suggestions:
            return
        self._shown_suggestions = snapshot.suggestions
        for row in self.suggestion_rows:
            self.suggestions_box.removeWidget(row)
            row.deleteLater()
        self.suggestion_rows = [
            SuggestionRow(s, snapshot.label(s.logs), snapshot.label(s.account), self) for s in snapshot.suggestions
        ]
        for row in self.suggestion_rows:
            self.suggestions_box.addWidget(row)

    @Slot()
    def _redraw_chart(self) -> None:
        if self.snapshot is None:
            return
        index = self.chart_choice.currentIndex()
        views = self.snapshot.allowances
        if 0 <= index < len(views):
            view = views[index]
            self.chart.show_series(view_series(view), value_format(view.status.unit, self.options))
        elif not views and self.snapshot.month_to_date is not None:
            from tokenwallet.domain.allowance import Unit

            self.chart.show_series(month_series(self.snapshot.month_to_date), value_format(Unit.USD, self.options))
        else:
            self.chart.show_view(None, self.options)

    @Slot()
    def _on_compensation_shown(self) -> None:
        self._ask_compensation(force=self.compensation is None)

    def _ask_compensation(self, *, force: bool = False) -> None:
        """Ask for the compensation figures: at once when first shown, then once a minute at most."""
        moment = time.monotonic()
        if force or moment - self._compensation_asked >= COMPENSATION_EVERY:
            self._compensation_asked = moment
            self.compensation_requested.emit()

    def show_compensation(self, view: CompensationView) -> None:
        """The compensation figures arrived."""
        self.compensation = view
        self.compensation_view.show_view(view, self.options)

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
