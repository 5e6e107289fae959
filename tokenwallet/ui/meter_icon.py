"""The tray icon drawn at run time: a ring meter of the share used, coloured by state, with a badge.

The icon must carry its meaning alone (Windows shows no text next to tray icons), so the ring
fills with the share used and, from 22 px up, the percentage is written inside.  A dark disc
with a light rim keeps it readable on dark and light panels alike.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap

from tokenwallet.ui.view_state import Badge, Severity

COLOURS: dict[Severity, str] = {
    Severity.NONE: "#90a4ae",
    Severity.OK: "#43a047",
    Severity.WARNING: "#fb8c00",
    Severity.CRITICAL: "#e53935",
    Severity.EXHAUSTED: "#b71c1c",
}
BADGE_COLOURS: dict[Badge, str] = {Badge.STALE: "#9e9e9e", Badge.ERROR: "#fdd835", Badge.PAUSED: "#64b5f6"}
DISC = "#263238"
RIM = "#eceff1"
TRACK = "#455a64"
ICON_SIZES = (16, 22, 24, 32, 48, 64)


def render_meter(percent: float | None, severity: Severity, badge: Badge, size: int) -> QPixmap:
    """Draw the meter at ``size`` x ``size`` pixels (transparent background)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    margin = max(1.0, size / 16)
    outer = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    painter.setPen(QPen(QColor(RIM), max(1.0, size / 24)))
    painter.setBrush(QColor(DISC))
    painter.drawEllipse(outer)

    ring_width = max(2.5, size * 0.17)
    inset = margin + ring_width / 2 + max(0.5, size / 32)
    ring = QRectF(inset, inset, size - 2 * inset, size - 2 * inset)
    colour = QColor(COLOURS[severity])
    if badge is Badge.STALE:
        colour = colour.darker(140)  # stale data: dim the meter, like peers do
    pen = QPen(QColor(TRACK), ring_width)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(ring)
    fraction = 0.0 if percent is None else max(0.0, min(1.0, percent / 100))
    if severity is Severity.EXHAUSTED:
        fraction = 1.0
    if fraction > 0:
        pen.setColor(colour)
        painter.setPen(pen)
        # Qt angles are in 1/16 degree, counter-clockwise from 3 o'clock; start at 12, go clockwise.
        painter.drawArc(ring, 90 * 16, -round(fraction * 360 * 16))

    if size >= 22 and percent is not None:  # no text while loading: font set-up waits until after start
        text = "!" if severity is Severity.EXHAUSTED else f"{min(99, round(percent))}"
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(8, round(size * (0.4 if len(text) > 1 else 0.48))))
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, text)

    if badge is not Badge.NONE:
        radius = max(3.0, size * 0.2)
        centre = size - radius - 0.5
        painter.setPen(QPen(QColor(DISC), max(1.0, size / 20)))
        painter.setBrush(QColor(BADGE_COLOURS[badge]))
        painter.drawEllipse(QRectF(centre - radius, centre - radius, 2 * radius, 2 * radius))
    painter.end()
    return pixmap


def meter_icon(percent: float | None, severity: Severity, badge: Badge) -> QIcon:
    """A QIcon with the meter drawn at every common tray size, so no size is a blurry rescale."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(render_meter(percent, severity, badge, size))
    return icon
