"""Start-up pieces: the bare-command parser, the cached first icon, the socket check, the docking wait."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tokenwallet.start_options import OPTIONS, NotAStart, StartOptions, parse_start_options
from tokenwallet.ui.tray.icon_cache import CachedIcon, read_cached_icon, write_cached_icon
from tokenwallet.ui.tray.meter_state import Badge, Severity


def test_start_options_are_parsed_without_click(tmp_path) -> None:  # type: ignore[no-untyped-def]
    home = str(tmp_path)
    assert parse_start_options([], environ={}) == StartOptions(None, False, False, 0)
    assert parse_start_options(["--home", home, "--background", "-vv"], environ={}) == StartOptions(
        home, False, True, 2
    )
    assert parse_start_options([f"--home={home}", "--demo", "--verbose"], environ={}) == StartOptions(
        home, True, False, 1
    )
    assert parse_start_options([], environ={"TOKENWALLET_HOME": home}) == StartOptions(home, False, False, 0)


@pytest.mark.parametrize(
    "argv",
    [["status"], ["--version"], ["--home"], ["--demo", "allowance", "list"], ["--bogus"], ["-x"], ["--home="]],
)
def test_anything_else_is_not_a_tray_start(argv) -> None:  # type: ignore[no-untyped-def]
    parsed = parse_start_options(argv, environ={})
    assert isinstance(parsed, NotAStart) and not parsed.help and parsed.problem


def test_help_is_asked_for_not_a_mistake() -> None:
    assert parse_start_options(["--demo", "-h"], environ={}) == NotAStart("help asked for", help=True)
    assert parse_start_options(["--help"], environ={}).help  # type: ignore[union-attr]


def test_home_that_is_a_file_is_not_a_tray_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    parsed = parse_start_options(["--home", str(a_file)], environ={})
    assert isinstance(parsed, NotAStart) and "is a file" in parsed.problem


def _run(*argv: str, module: str = "tokenwallet") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *argv], capture_output=True, text=True, timeout=60)


def test_console_entry_runs_subcommands_through_click(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _run("--home", str(tmp_path), "allowance", "add", "work", "--amount", "50")
    assert done.returncode == 0, done.stderr
    listed = _run("--home", str(tmp_path), "allowance", "list")
    assert "work" in listed.stdout
    assert "PySide6" not in listed.stderr


def test_command_line_help_lists_the_start_options() -> None:
    done = _run("--help")
    assert done.returncode == 0, done.stderr
    for name, _text in OPTIONS:
        assert name in done.stdout
    mistake = _run("--demo", "status")  # the demo is a tray start, not an option of the commands
    assert mistake.returncode == 2 and "--demo" in mistake.stderr


def test_ui_module_explains_what_is_not_a_start_option(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _run("status", module="tokenwallet.ui")
    assert done.returncode == 2
    assert "'status' is not a start option" in done.stderr and "--background" in done.stderr
    helped = _run("--help", module="tokenwallet.ui")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: python -m tokenwallet.ui")


def test_icon_cache_round_trip_and_bad_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cache" / "tray-icon.txt"
    assert read_cached_icon(path) is None
    write_cached_icon(path, CachedIcon(42.4, Severity.WARNING))
    assert read_cached_icon(path) == CachedIcon(42.4, Severity.WARNING)
    write_cached_icon(path, CachedIcon(None, Severity.NONE))
    assert read_cached_icon(path) == CachedIcon(None, Severity.NONE)
    for junk in ("", "v1 12", "v1 abc ok", "v1 12 purple", "v2 12 ok"):
        path.write_text(junk)
        assert read_cached_icon(path) is None, junk


def test_cached_icon_is_drawn_first_then_replaced_by_the_real_state(qapp) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.controller import TrayController
    from tokenwallet.ui.tray.view_state import TrayViewState

    tray = TrayController(build_menu=False)
    tray.show(CachedIcon(73.0, Severity.OK))
    assert "73% used when last seen" in tray.icon.toolTip()
    assert not tray.icon.icon().isNull()
    assert tray.menu.actions() == []  # built after the icon is docked
    tray.render(TrayViewState(50.0, Severity.OK, Badge.NONE, "tokenwallet\nWork: $50.00 left", ()))
    tray.show()  # showing again keeps the real state
    assert tray.icon.toolTip().startswith("tokenwallet\nWork")
    tray.icon.hide()


def test_start_icon_draws_without_the_qt_enum_namespace() -> None:
    """The first icon must not load PySide6's Qt namespace (its enums cost ~25 ms to build)."""
    code = (
        "import time\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from tokenwallet.ui.tray.meter_icon import meter_icon\n"
        "from tokenwallet.ui.tray.meter_state import Badge, Severity\n"
        "meter_icon(60.0, Severity.WARNING, Badge.STALE, text=False)\n"
        "import PySide6.QtCore as core\n"
        "print('Qt' in core.__dict__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_after_docked_continues_without_a_tray(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QSystemTrayIcon

    from tokenwallet.ui.runtime.launcher import after_docked

    monkeypatch.setenv("TOKENWALLET_NO_TRAY", "1")
    called: list[str] = []
    icon = QSystemTrayIcon()
    after_docked(icon, lambda: called.append("go"))
    qtbot.waitUntil(lambda: called == ["go"], timeout=1000)


def test_after_docked_gives_up_waiting_for_a_host_that_never_docks(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QElapsedTimer
    from PySide6.QtWidgets import QSystemTrayIcon

    import tokenwallet.ui.runtime.launcher as launcher

    monkeypatch.setattr(launcher, "tray_available", lambda: True)
    called: list[str] = []
    icon = QSystemTrayIcon()  # never shown: its geometry stays empty
    clock = QElapsedTimer()
    clock.start()
    launcher.after_docked(icon, lambda: called.append("go"), wait_ms=100)
    qtbot.waitUntil(lambda: called == ["go"], timeout=2000)
    assert clock.elapsed() >= 100  # it waited for a host as long as it was told to


def test_app_remembers_its_meter_for_the_next_start_but_not_demo_data(qapp, allowance_ctx) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.secrets.store import MemorySecretStore
    from tokenwallet.ui.runtime.application import TrayApp
    from tokenwallet.ui.runtime.bridge import InlineExecutor
    from tokenwallet.ui.tray.icon_cache import ICON_CACHE_FILE

    path = allowance_ctx.paths.cache_dir / ICON_CACHE_FILE
    app = TrayApp(allowance_ctx, executor=InlineExecutor(), store=MemorySecretStore())
    app.refresh()
    cached = read_cached_icon(path)
    assert cached is not None and round(cached.percent or 0) == 40 and cached.severity is Severity.OK
    path.unlink()
    app.demo = True
    app._cached_icon = None
    app.render()
    assert not path.exists()
    app.shutdown()
