"""One allowance on the dashboard: a pace bar and its figures, grants and top-ups, how it was counted."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from tokenwallet.domain.allowance import AllowanceStatus, GrantKind
from tokenwallet.services.snapshot import AllowanceView
from tokenwallet.ui.dashboard import figures
from tokenwallet.ui.display import DisplayOptions, format_amount
from tokenwallet.ui.locale_dates import format_date
from tokenwallet.ui.tray.meter_icon import COLOURS
from tokenwallet.ui.tray.meter_state import Severity
from tokenwallet.ui.tray.view_state import severity_for

TRACK = "#dfe3e6"
TRACK_EDGE = "#9aa5ab"
MARKER = "#263238"


class PaceBar(QWidget):
    """A progress bar of the share spent on a visible track, with a marker at the share of the period gone.

    Over the allowance the bar's scale grows past 100%: a tick marks the allowance and the part
    beyond it is hatched.  The marker is a small triangle above the bar with a line through it,
    so it reads as "you are here in the period", not as part of the fill.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.used = 0.0
        self.elapsed = 0.0
        self.colour = QColor(COLOURS[Severity.OK])
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(22)
        self.setToolTip("Bar: share of the allowance spent. Marker ▼: share of the period gone (an even pace).")

    def sizeHint(self) -> QSize:
        """A slim bar with room for the marker above it."""
        return QSize(320, 22)

    def set_values(self, used: float, elapsed: float, colour: str) -> None:
        """``used``: spent as a share of the allowance (above 1 when overspent); ``elapsed``: share of the period."""
        self.used = max(0.0, used)
        self.elapsed = max(0.0, min(1.0, elapsed))
        self.colour = QColor(colour)
        self.update()

    def scale(self) -> float:
        """The share that fills the whole width: 1, or the share spent when over the allowance."""
        return max(1.0, self.used)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Track, fill, the allowance tick when over, and the pace marker."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = QRectF(1.5, 7.5, self.width() - 3, self.height() - 10)
        radius = track.height() / 2
        painter.setPen(QPen(QColor(TRACK_EDGE), 1))
        painter.setBrush(QColor(TRACK))
        painter.drawRoundedRect(track, radius, radius)
        scale = self.scale()
        if self.used > 0:
            fill = QRectF(track.x(), track.y(), max(track.height(), track.width() * self.used / scale), track.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour)
            painter.drawRoundedRect(fill, radius, radius)
            if self.used > 1:
                limit_x = track.x() + track.width() / scale
                over = QRectF(limit_x, track.y(), fill.right() - limit_x, track.height())
                painter.setBrush(QBrush(QColor("#ffffff"), Qt.BrushStyle.BDiagPattern))
                painter.drawRect(over)
                painter.setPen(QPen(QColor(MARKER), 2))
                painter.drawLine(QPointF(limit_x, track.top() - 2), QPointF(limit_x, track.bottom() + 2))
        x = track.x() + track.width() * self.elapsed / scale
        painter.setPen(QPen(QColor("#ffffff"), 3))
        painter.drawLine(QPointF(x, track.top() + 1), QPointF(x, track.bottom() - 1))
        painter.setPen(QPen(QColor(MARKER), 1.5))
        painter.drawLine(QPointF(x, track.top()), QPointF(x, track.bottom()))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(MARKER))
        painter.drawPolygon(QPolygonF([QPointF(x - 5, 0.5), QPointF(x + 5, 0.5), QPointF(x, 7)]))
        painter.end()


def _label(text: str = "", *, bold: bool = False, muted: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if bold:
        font = label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        label.setFont(font)
    if muted:
        label.setStyleSheet("color: palette(placeholder-text);")
    return label


class AllowanceCard(QFrame):
    """Figures of one allowance; :meth:`show_view` refreshes it in place."""

    NAMES = ("Spent", "Remaining", "Granted", "Runs out", "Pace", "Expiring unspent")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("allowanceCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        self.title = _label(bold=True)
        self.bar = PaceBar()
        self.summary = _label()
        self.summary.setWordWrap(True)
        grid = QGridLayout()
        grid.setVerticalSpacing(0)
        self.fields: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        for i, name in enumerate(self.NAMES):
            self.captions[name] = _label(name, muted=True)
            grid.addWidget(self.captions[name], (i // 3) * 2, i % 3)
            self.fields[name] = _label()
            self.fields[name].setWordWrap(True)
            grid.addWidget(self.fields[name], (i // 3) * 2 + 1, i % 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        self.grants = _label(muted=True)
        self.grants.setWordWrap(True)
        self.how = QToolButton()
        self.how.setCheckable(True)
        self.how.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.how.setArrowType(Qt.ArrowType.RightArrow)
        self.how.setAutoRaise(True)
        self.how.toggled.connect(self._toggle_how)
        self.counting = _label(muted=True)
        self.counting.setWordWrap(True)
        self.counting.hide()
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addWidget(self.summary)
        layout.addLayout(grid)
        layout.addWidget(self.grants)
        layout.addWidget(self.how, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.counting)

    def _toggle_how(self, shown: bool) -> None:
        self.how.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.counting.setVisible(shown)

    def show_view(
        self, view: AllowanceView, options: DisplayOptions, label: Callable[[str], str] = lambda account: account
    ) -> None:
        """Fill the card from ``view``; ``label`` names an account by its id."""
        status: AllowanceStatus = view.status
        severity = severity_for(status)
        if status.backed_by:
            account, _, limit = status.backed_by.partition(":")
            self.title.setText(f"{status.name}  · the {limit} budget of {label(account)}")
        else:
            self.title.setText(status.name)
        self.bar.set_values(figures.share_spent(status), status.elapsed_fraction, COLOURS[severity])
        self.summary.setText(figures.summary(status, options))

        def fmt(amount: int) -> str:
            return format_amount(amount, status.unit, options)

        spent = fmt(figures.spent(status))
        if status.estimated_spent:
            spent += " *"
        self.fields["Spent"].setText(spent)
        if status.overspent > 0:
            self.captions["Remaining"].setText("Over the allowance by")
            self.fields["Remaining"].setText(fmt(status.overspent))
            self.fields["Remaining"].setStyleSheet(f"color: {COLOURS[Severity.EXHAUSTED]}; font-weight: bold;")
        else:
            self.captions["Remaining"].setText("Remaining")
            self.fields["Remaining"].setText(fmt(status.remaining))
            self.fields["Remaining"].setStyleSheet("")
        self.fields["Granted"].setText(fmt(figures.available(status)))
        self.fields["Runs out"].setText(figures.runs_out(status, options))
        warn = status.projected_runout is not None or status.overspent > 0
        self.fields["Runs out"].setStyleSheet(f"color: {COLOURS[severity]}; font-weight: bold;" if warn else "")
        self.fields["Pace"].setText(f"{fmt(round(status.burn_rate_per_day))}/day")
        self.fields["Expiring unspent"].setText(figures.expiring(status, options) or "nothing at this pace")
        extra = [g for g in status.grants if g.grant.kind is not GrantKind.PERIODIC]
        if extra:
            parts = []
            for g in extra:
                expiry = f", expires {format_date(g.grant.expires_at, options.zone)}" if g.grant.expires_at else ""
                note = f" “{g.grant.note}”" if g.grant.note else ""
                parts.append(f"{g.grant.kind.value}{note}: {fmt(g.grant.amount)}, {fmt(g.remaining)} left{expiry}")
            self.grants.setText("Grants and top-ups: " + "; ".join(parts))
            self.grants.show()
        else:
            self.grants.hide()
        lines = figures.counting_lines(status, options, label)
        streams = len(status.streams)
        kinds = sorted({f.confidence.value for f in status.streams if f.counted})
        if status.backed_by and not streams:
            head = "How this was counted: the gateway's own count"
        else:
            head = f"How this was counted: {streams} stream{'s' if streams != 1 else ''}"
        if kinds:
            head += f" ({', '.join(kinds)})"
        if status.estimated_spent:
            head += " · * includes estimates"
        self.how.setText(head)
        self.how.setVisible(bool(lines))
        self.counting.setText("\n".join(f"• {line}" for line in lines))
        self.counting.setVisible(self.how.isChecked() and bool(lines))
