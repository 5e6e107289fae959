"""Render the app icon from its SVG source into every file desktops and installers need.

Run from the repository root after editing the SVG::

    python packaging/render_icons.py

It writes the hicolor PNGs under ``resources/icons/hicolor/<N>x<N>/apps/``, a multi-size Windows
``.ico`` and a macOS ``.icns`` under ``resources/icons/``, and copies the SVG and a few PNGs into
``tokenwallet/ui/assets/`` where the running app loads them with ``importlib.resources`` (with
copies of the desktop entry and metainfo, so the wheel carries every desktop-integration file).

Both containers hold PNG payloads, which Windows (Vista and later) and macOS (10.7 and later)
read, so no image tool beyond Qt's SVG renderer is needed.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

APP_ID = "io.github.tokenwallet.TokenWallet"
ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, by pixel size (the @2x types reuse the larger renders).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)
ASSET_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def render_png(svg: Path, size: int) -> bytes:
    """Render ``svg`` to a square PNG of ``size`` pixels with a transparent background."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows ICO container holding one PNG per size (ICONDIR, ICONDIRENTRYs, payloads)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, payloads = b"", b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        payloads += data
        offset += len(data)
    return header + entries + payloads


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS ICNS container: ``icns`` + total length, then (type, length, PNG) elements."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


# Qt's rasteriser picks CPU-specific code paths, so two machines may render an antialiased edge one
# level apart; a committed PNG is current when no channel of any pixel differs by more than this.
PIXEL_TOLERANCE = 2


def _pixels(data: bytes) -> list[int] | None:
    """The ARGB values of a PNG, or None when ``data`` is not one Qt can read."""
    from PySide6.QtGui import QImage

    image = QImage.fromData(data)
    if image.isNull():
        return None
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    return [image.pixel(x, y) for y in range(image.height()) for x in range(image.width())]


def _same_png(old: bytes, new: bytes) -> bool:
    a, b = _pixels(old), _pixels(new)
    if a is None or b is None or len(a) != len(b):
        return False
    return all(
        abs(((pa >> shift) & 0xFF) - ((pb >> shift) & 0xFF)) <= PIXEL_TOLERANCE
        for pa, pb in zip(a, b, strict=True)
        if pa != pb
        for shift in (0, 8, 16, 24)
    )


def _png_payloads(data: bytes) -> list[bytes]:
    """The PNG images inside an ICO or ICNS container, in order (the whole file for a PNG)."""
    marker, end = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"
    found, at = [], data.find(marker)
    while at >= 0:
        stop = data.find(end, at) + len(end)
        found.append(data[at:stop])
        at = data.find(marker, stop)
    return found


def _same(path: Path, data: bytes) -> bool:
    """Whether the committed file at ``path`` matches a fresh render ``data`` (PNGs within tolerance)."""
    old = path.read_bytes()
    if old == data:
        return True
    if path.suffix not in {".png", ".ico", ".icns"}:
        return False
    olds, news = _png_payloads(old), _png_payloads(data)
    return (
        bool(news)
        and len(olds) == len(news)
        and old[: old.find(olds[0][:8])][:4] == data[: data.find(news[0][:8])][:4]
        and all(_same_png(a, b) for a, b in zip(olds, news, strict=True))
    )


def main(argv: list[str] | None = None) -> int:
    """Render everything; ``--check`` only reports files that differ from a fresh render."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed file is out of date")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    needed = sorted({*HICOLOR_SIZES, *ICO_SIZES, *(size for _, size in ICNS_TYPES)})
    pngs = {size: render_png(SVG, size) for size in needed}

    icons = ROOT / "resources" / "icons"
    assets = ROOT / "tokenwallet" / "ui" / "assets"
    outputs: dict[Path, bytes] = {}
    for size in HICOLOR_SIZES:
        outputs[icons / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"] = pngs[size]
    outputs[icons / f"{APP_ID}.ico"] = ico_bytes({size: pngs[size] for size in ICO_SIZES})
    outputs[icons / f"{APP_ID}.icns"] = icns_bytes(pngs)
    for size in ASSET_SIZES:
        outputs[assets / "icons" / f"{APP_ID}-{size}.png"] = pngs[size]
    outputs[assets / "icons" / f"{APP_ID}.svg"] = SVG.read_bytes()
    # The desktop entry and metainfo travel in the wheel too, for installers that start from it.
    for name in (f"{APP_ID}.desktop", f"{APP_ID}.metainfo.xml"):
        outputs[assets / "desktop" / name] = (ROOT / "resources" / name).read_bytes()

    stale = [path for path, data in outputs.items() if not path.exists() or not _same(path, data)]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}")
        return 1 if stale else 0
    for path, data in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    print(f"wrote {len(outputs)} files ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
