"""Screenshots for the desktop tests: saved for a person to look at, and read back by the tests.

Each test asserts what its screenshot shows (a colour in a region, a region that is not empty),
so a picture that would look wrong to a person also fails the test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QGuiApplication, QImage

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def grab_screen() -> QImage:
    """The whole X screen (the tray host included) as it is now."""
    return QGuiApplication.primaryScreen().grabWindow(0).toImage()


def save(image: QImage, name: str) -> Path:
    """Keep ``image`` under ``artifacts/screenshots/`` for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    assert image.save(str(path)), path
    return path


def colours(image: QImage, rect: QRect | None = None) -> dict[str, int]:
    """How many pixels of each colour (``#rrggbb``) ``rect`` of ``image`` holds."""
    area = rect if rect is not None else image.rect()
    counts: dict[str, int] = {}
    for y in range(max(0, area.top()), min(image.height(), area.bottom() + 1)):
        for x in range(max(0, area.left()), min(image.width(), area.right() + 1)):
            name = image.pixelColor(x, y).name()
            counts[name] = counts.get(name, 0) + 1
    return counts


def has_colour(image: QImage, colour: str, rect: QRect | None = None, *, within: int = 24, at_least: int = 1) -> bool:
    """True when ``rect`` of ``image`` holds at least ``at_least`` pixels within ``within`` of ``colour``."""
    wanted = QColor(colour)
    found = 0
    for name, count in colours(image, rect).items():
        seen = QColor(name)
        distance = (
            abs(seen.red() - wanted.red()) + abs(seen.green() - wanted.green()) + abs(seen.blue() - wanted.blue())
        )
        if distance <= within:
            found += count
    return found >= at_least


def dominant(image: QImage, rect: QRect | None = None) -> str:
    """The most frequent colour of ``rect`` in ``image`` (a window's background, once it is drawn)."""
    counts = colours(image, rect)
    return max(counts, key=lambda name: counts[name]) if counts else ""


def share_of(image: QImage, colour: str, rect: QRect | None = None) -> float:
    """The share of ``rect``'s pixels that are exactly ``colour``."""
    counts = colours(image, rect)
    total = sum(counts.values())
    return counts.get(QColor(colour).name(), 0) / total if total else 0.0


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, *, what: str = "condition") -> None:
    """Poll ``condition`` (a process or file outside Qt's event loop) until it holds; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
