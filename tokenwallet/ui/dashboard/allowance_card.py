"""One allowance on the dashboard: a pace bar and its figures, grants and top-ups."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from tokenwallet.domain.allowance import AllowanceStatus, GrantKind
from tokenwallet.services.snapshot import AllowanceView
from tokenwallet.ui.display import DisplayOptions, format_amount
from tokenwallet.ui.tray.meter_icon import COLOURS
from tokenwallet.ui.tray.meter_state import Severity
from tokenwallet.ui.tray.view_state import severity_for


class PaceBar(QWidget):
    """A progress bar of the share used with a marker at the share of the period elapsed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.used = 0.0
        self.elapsed = 0.0
        self.colour = QColor(COLOURS[Severity.OK])
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Bar: share of the allowance used. Marker: share of the period elapsed (pace).")

    def sizeHint(self) -> QSize:
        """A slim bar."""
        return QSize(320, 18)

    def set_values(self, used: float, elapsed: float, colour: str) -> None:
        """Fractions 0..1 of the allowance used and of the period elapsed."""
        self.used = max(0.0, min(1.0, used))
        self.elapsed = max(0.0, min(1.0, elapsed))
        self.colour = QColor(colour)
        self.update()

    def paintEvent(self, event: object) -> None:
        """Track, fill and the pace marker."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(1, 3, self.width() - 2, self.height() - 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().mid().color().lighter(130))
        painter.drawRoundedRect(rect, 5, 5)
        if self.used > 0:
            painter.setBrush(self.colour)
            painter.drawRoundedRect(QRectF(rect.x(), rect.y(), rect.width() * self.used, rect.height()), 5, 5)
        x = rect.x() + rect.width() * self.elapsed
        painter.setPen(QPen(self.palette().text().color(), 2))
        painter.drawLine(int(x), 0, int(x), self.height())
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


def _date(at: datetime, options: DisplayOptions) -> str:
    return at.astimezone(options.zone).strftime("%d %b %Y")


class AllowanceCard(QFrame):
    """Figures of one allowance; :meth:`show_view` refreshes it in place."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("allowanceCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.title = _label(bold=True)
        self.bar = PaceBar()
        self.summary = _label()
        grid = QGridLayout()
        self.fields: dict[str, QLabel] = {}
        names = ("Spent", "Remaining", "Granted", "Runs out", "Pace", "Expiring unspent")
        for i, name in enumerate(names):
            grid.addWidget(_label(name, muted=True), (i // 3) * 2, i % 3)
            self.fields[name] = _label()
            grid.addWidget(self.fields[name], (i // 3) * 2 + 1, i % 3)
        self.grants = _label(muted=True)
        self.grants.setWordWrap(True)
        self.estimate_note = _label(muted=True)
        self.estimate_note.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addWidget(self.summary)
        layout.addLayout(grid)
        layout.addWidget(self.grants)
        layout.addWidget(self.estimate_note)

    def show_view(self, view: AllowanceView, options: DisplayOptions) -> None:
        """Fill the card from ``view``."""
        status: AllowanceStatus = view.status
        unit = status.unit
        severity = severity_for(status)
        self.title.setText(status.name)
        self.bar.set_values(status.percent_used / 100, status.elapsed_fraction, COLOURS[severity])
        ahead = status.percent_used / 100 - status.elapsed_fraction
        pace = "ahead of pace" if ahead > 0.05 else ("behind pace" if ahead < -0.05 else "on pace")
        self.summary.setText(
            f"{status.percent_used:.0f}% used, {status.elapsed_fraction * 100:.0f}% of the period gone ({pace})"
            f" · resets {_date(status.period_end, options)} · {status.days_left:.1f} days left"
        )

        def fmt(amount: int) -> str:
            return format_amount(amount, unit, options)

        spent = fmt(status.period_spent)
        if status.estimated_spent:
            spent += " *"
        self.fields["Spent"].setText(spent)
        self.fields["Remaining"].setText(fmt(status.remaining))
        self.fields["Granted"].setText(fmt(status.granted))
        if status.projected_runout is not None:
            self.fields["Runs out"].setText(_date(status.projected_runout, options))
            self.fields["Runs out"].setStyleSheet(f"color: {COLOURS[severity]}; font-weight: bold;")
        else:
            self.fields["Runs out"].setText("not before reset")
            self.fields["Runs out"].setStyleSheet("")
        self.fields["Pace"].setText(f"{fmt(round(status.burn_rate_per_day))}/day")
        if status.expiring:
            first = min(status.expiring, key=lambda e: e.at)
            self.fields["Expiring unspent"].setText(
                f"{fmt(first.projected_unspent)} on {_date(first.at, options)}"
                f" — spend {fmt(round(first.daily_pace_needed))}/day to use it"
            )
        else:
            self.fields["Expiring unspent"].setText("nothing")
        extra = [g for g in status.grants if g.grant.kind is not GrantKind.PERIODIC]
        if extra:
            parts = []
            for g in extra:
                expiry = f", expires {_date(g.grant.expires_at, options)}" if g.grant.expires_at else ""
                note = f" “{g.grant.note}”" if g.grant.note else ""
                parts.append(f"{g.grant.kind.value}{note}: {fmt(g.grant.amount)}, {fmt(g.remaining)} left{expiry}")
            self.grants.setText("Grants and top-ups: " + "; ".join(parts))
            self.grants.show()
        else:
            self.grants.hide()
        notes = []
        if status.estimated_spent:
            notes.append(f"* includes {fmt(status.estimated_spent)} estimated from local logs (not billed)")
        if status.unpriced_records:
            notes.append(f"{status.unpriced_records} record(s) without a price are not counted")
        if status.backed_by:
            notes.append(f"limit read from the gateway ({status.backed_by})")
        self.estimate_note.setText("\n".join(notes))
        self.estimate_note.setVisible(bool(notes))
