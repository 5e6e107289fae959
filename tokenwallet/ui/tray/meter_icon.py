"""The tray icon drawn at run time: a ring meter of the share used, coloured by state, with a badge.

The icon must carry its meaning alone (Windows shows no text next to tray icons), so the ring
fills with the share used and, from 22 px up, the percentage is written inside.  A dark disc
with a light rim keeps it readable on dark and light panels alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

if TYPE_CHECKING:
    from PySide6.QtGui import QFont

from tokenwallet.ui.tray.meter_state import Badge, Severity

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


def _solid(colour: QColor) -> QBrush:
    """A solid brush of ``colour``.

    Built from a pen on purpose: PySide6 builds its whole ``Qt`` enum namespace (~25 ms) the first
    time a call has to choose between overloads that take one of those enums (``QBrush(QColor)``,
    ``QPainter.setPen``, ...).  The first icon is drawn before that, with single-overload calls only.
    """
    pen = QPen()
    pen.setColor(colour)
    return pen.brush()


def _fill_ellipse(painter: QPainter, rect: QRectF, colour: QColor, *, hole: QRectF | None = None) -> None:
    path = QPainterPath()
    path.addEllipse(rect)
    if hole is not None:
        path.addEllipse(hole)  # odd-even fill: a ring
    painter.fillPath(path, _solid(colour))


def _grow(rect: QRectF, by: float) -> QRectF:
    return rect.adjusted(-by, -by, by, by)


def render_meter(percent: float | None, severity: Severity, badge: Badge, size: int, *, text: bool = True) -> QPixmap:
    """Draw the meter at ``size`` x ``size`` pixels (transparent background).

    ``text=False`` leaves out the number (the start-up icon: fonts are set up after it is shown).
    Every shape is a filled path (a stroke of width w is the ring between the outline grown and
    shrunk by w/2), see :func:`_solid` for why no pen is used.
    """
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    margin = max(1.0, size / 16)
    outer = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    rim = max(1.0, size / 24) / 2
    _fill_ellipse(painter, _grow(outer, rim), QColor(RIM))
    _fill_ellipse(painter, _grow(outer, -rim), QColor(DISC))

    ring_width = max(2.5, size * 0.17)
    inset = margin + ring_width / 2 + max(0.5, size / 32)
    ring = QRectF(inset, inset, size - 2 * inset, size - 2 * inset)
    half = ring_width / 2
    outer_edge, inner_edge = _grow(ring, half), _grow(ring, -half)
    _fill_ellipse(painter, outer_edge, QColor(TRACK), hole=inner_edge)
    colour = QColor(COLOURS[severity])
    if badge is Badge.STALE:
        colour = colour.darker(140)  # stale data: dim the meter, like peers do
    fraction = 0.0 if percent is None else max(0.0, min(1.0, percent / 100))
    if severity is Severity.EXHAUSTED:
        fraction = 1.0
    if fraction > 0:
        sweep = -fraction * 360  # Qt angles run counter-clockwise from 3 o'clock: start at 12, go clockwise
        path = QPainterPath()
        path.arcMoveTo(outer_edge, 90)
        path.arcTo(outer_edge, 90, sweep)
        path.arcTo(inner_edge, 90 + sweep, -sweep)
        path.closeSubpath()
        painter.fillPath(path, _solid(colour))

    dot = badge_rect(size) if badge is not Badge.NONE else None
    if text and size >= 22 and percent is not None:
        from PySide6.QtCore import Qt

        label = "!" if severity is Severity.EXHAUSTED else f"{min(99, round(percent))}"
        font, box = label_font(label, size, dot)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

    if dot is not None:
        edge = max(1.0, size / 20) / 2
        _fill_ellipse(painter, _grow(dot, edge), QColor(DISC))
        _fill_ellipse(painter, _grow(dot, -edge), QColor(BADGE_COLOURS[badge]))
    painter.end()
    return pixmap


def badge_rect(size: int) -> QRectF:
    """Where the status dot goes: in the bottom-right corner, outside the ring's inner disc, so it
    never covers the number (see :func:`label_font`)."""
    radius = max(2.5, size * 0.16)
    centre = size - radius - 0.25
    return QRectF(centre - radius, centre - radius, 2 * radius, 2 * radius)


def label_font(label: str, size: int, dot: QRectF | None) -> tuple[QFont, QRectF]:
    """The font and box for the number inside the ring: as large as fits, never under the status dot.

    The text's ink is measured; while it would touch the dot (with a pixel of room) the font gets
    a pixel smaller, down to 7 px.
    """
    from PySide6.QtGui import QFont, QFontMetricsF

    box = QRectF(0, 0, size, size)
    pixels = max(8, round(size * (0.4 if len(label) > 1 else 0.48)))
    while True:
        font = QFont()
        font.setBold(True)
        font.setPixelSize(pixels)
        ink = QFontMetricsF(font).tightBoundingRect(label)
        ink.moveCenter(box.center())
        if dot is None or pixels <= 7 or not _touches(ink, dot, 1.0):
            return font, box
        pixels -= 1


def _touches(rect: QRectF, circle: QRectF, room: float) -> bool:
    """True when ``rect`` comes within ``room`` pixels of the circle inscribed in ``circle``."""
    centre = circle.center()
    nearest_x = min(max(centre.x(), rect.left()), rect.right())
    nearest_y = min(max(centre.y(), rect.top()), rect.bottom())
    distance: float = ((centre.x() - nearest_x) ** 2 + (centre.y() - nearest_y) ** 2) ** 0.5
    return distance < circle.width() / 2 + room


def meter_icon(percent: float | None, severity: Severity, badge: Badge, *, text: bool = True) -> QIcon:
    """A QIcon with the meter drawn at every common tray size, so no size is a blurry rescale."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(render_meter(percent, severity, badge, size, text=text))
    return icon
