"""The app's own images, read with ``importlib.resources`` so wheels and frozen bundles both work.

The files under ``icons/`` are rendered from ``resources/icons/hicolor/scalable/apps/<APP_ID>.svg``
by ``packaging/render_icons.py``; edit the SVG and re-run the script rather than the PNGs.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from typing import TYPE_CHECKING

from tokenwallet.paths import APP_ID

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

ICON_SIZES: tuple[int, ...] = (16, 22, 24, 32, 48, 64, 128, 256)


def asset(name: str) -> Traversable:
    """The packaged file ``name`` (a path relative to this folder, such as ``icons/x.svg``)."""
    target = resources.files(__name__)
    for part in name.split("/"):
        target = target / part
    if not target.is_file():
        raise FileNotFoundError(f"tokenwallet asset {name!r} is missing from the installed package")
    return target


def asset_bytes(name: str) -> bytes:
    """The contents of the packaged file ``name``."""
    return asset(name).read_bytes()


def app_icon_path(size: int | None = None) -> Traversable:
    """The app icon: the SVG when ``size`` is None, else the PNG of the nearest size at or above it."""
    if size is None:
        return asset(f"icons/{APP_ID}.svg")
    chosen = next((s for s in ICON_SIZES if s >= size), ICON_SIZES[-1])
    return asset(f"icons/{APP_ID}-{chosen}.png")


def app_icon() -> QIcon:
    """A QIcon holding every packaged PNG size (crisp hand-sized pixels where the desktop asks for them)."""
    from PySide6.QtGui import QIcon, QPixmap

    icon = QIcon()
    for size in ICON_SIZES:
        pixmap = QPixmap()
        pixmap.loadFromData(asset_bytes(f"icons/{APP_ID}-{size}.png"), "PNG")
        icon.addPixmap(pixmap)
    return icon
