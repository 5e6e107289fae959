"""Without a display the tray app says so in one line and exits, instead of Qt aborting the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tokenwallet.ui.runtime.launcher import display_problem


@pytest.mark.parametrize(
    ("environ", "platform", "shown"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, "linux", True),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", True),
        ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "freebsd14", True),
        ({}, "win32", True),
        ({}, "darwin", True),
    ],
)
def test_a_display_is_needed_where_qt_would_abort_without_one(environ, platform, shown) -> None:  # type: ignore[no-untyped-def]
    assert (display_problem(environ, platform) is None) is shown


@pytest.mark.parametrize("module", ["tokenwallet", "tokenwallet.ui"])
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland only")
def test_starting_without_a_display_is_one_clear_line(tmp_path: Path, module: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [sys.executable, "-m", module, "--home", str(tmp_path / "home")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1  # not 134 (Qt's abort)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == [
        "tokenwallet: no display to show the tray app on (DISPLAY and WAYLAND_DISPLAY are not set); "
        "start it from a desktop session, or use the command line (tokenwallet status, tokenwallet --help)."
    ]
    assert not (tmp_path / "home" / "run").exists()  # nothing was claimed or created
