"""Autostart entries for Linux, macOS and Windows, written under a temporary home or a fake registry."""

from __future__ import annotations

import configparser
import json
import plistlib
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tokenwallet.paths import APP_ID
from tokenwallet.platform.autostart import (
    AutostartError,
    LaunchAgent,
    OsFamily,
    WindowsRunKey,
    XdgAutostart,
    backend_for,
    desktop_exec,
    launch_command,
    os_family,
    set_autostart,
    windows_run_value,
    xdg_autostart_entry,
)

COMMAND = ("/home/ana/.local/bin/tokenwallet", "--background")


class FakeRegistry:
    """An in-memory HKCU Run key."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def _never(_name: str) -> None:
    return None


# ----------------------------------------------------------------------------- command line


def test_frozen_bundle_runs_its_own_executable() -> None:
    cmd = launch_command(frozen=True, executable="/opt/tokenwallet/tokenwallet", environ={}, which=_never)
    assert cmd == ("/opt/tokenwallet/tokenwallet", "--background")


def test_pipx_or_venv_uses_the_script_beside_the_interpreter(tmp_path: Path) -> None:
    bin_dir = tmp_path / "pipx" / "venvs" / "tokenwallet" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "tokenwallet").write_text("#!/bin/sh\n")
    python = bin_dir / "python"
    cmd = launch_command(frozen=False, executable=str(python), environ={}, which=_never, windows=False)
    assert cmd == (str(bin_dir / "tokenwallet"), "--background")


def test_windows_venv_uses_the_exe_script(tmp_path: Path) -> None:
    scripts = tmp_path / "Scripts"
    scripts.mkdir()
    (scripts / "tokenwallet.exe").write_bytes(b"MZ")
    cmd = launch_command(frozen=False, executable=str(scripts / "python.exe"), environ={}, which=_never, windows=True)
    assert cmd == (str(scripts / "tokenwallet.exe"), "--background")


def test_falls_back_to_path_then_to_python_m(tmp_path: Path) -> None:
    python = str(tmp_path / "python3")
    on_path = launch_command(
        frozen=False, executable=python, environ={}, which=lambda _n: "/usr/bin/tokenwallet", windows=False
    )
    assert on_path == ("/usr/bin/tokenwallet", "--background")
    bare = launch_command(frozen=False, executable=python, environ={}, which=_never, windows=False)
    assert bare == (python, "-m", "tokenwallet", "--background")


def test_inside_flatpak_runs_flatpak_run() -> None:
    cmd = launch_command(frozen=False, executable="/app/bin/python3", environ={"FLATPAK_ID": APP_ID}, which=_never)
    assert cmd == ("flatpak", "run", APP_ID, "--background")


def test_the_home_in_use_is_kept_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cmd = launch_command(frozen=True, executable="/opt/tw/tokenwallet", environ={}, which=_never, home="portable")
    assert cmd == ("/opt/tw/tokenwallet", "--background", "--home", str(tmp_path / "portable"))
    entry = xdg_autostart_entry(cmd)
    assert f"--home {tmp_path / 'portable'}" in entry  # one Exec line the desktop runs as it is


def test_the_settings_switch_keeps_the_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Start at login turned on in the settings of an app running with --home starts that home."""
    from tokenwallet.app import AppContext
    from tokenwallet.services.preferences import save_preferences

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    ctx = AppContext.create(str(tmp_path / "twhome"))
    assert save_preferences(ctx, start_at_login=True) == ""
    status = backend_for().status()
    assert status.enabled and status.command[-2:] == ("--home", str(tmp_path / "twhome"))
    assert save_preferences(ctx, start_at_login=False) == ""
    assert not backend_for().status().enabled


@pytest.mark.parametrize(
    ("platform", "family"),
    [("linux", OsFamily.LINUX), ("freebsd14", OsFamily.LINUX), ("darwin", OsFamily.MACOS), ("win32", OsFamily.WINDOWS)],
)
def test_os_family(platform: str, family: OsFamily) -> None:
    assert os_family(platform) is family


# ----------------------------------------------------------------------------- Linux


def test_desktop_exec_quotes_spaces_and_percent() -> None:
    assert desktop_exec(COMMAND) == "/home/ana/.local/bin/tokenwallet --background"
    quoted = desktop_exec(("/home/a b/100%/tokenwallet", "--background"))
    assert quoted == '"/home/a b/100%%/tokenwallet" --background'


def test_xdg_entry_round_trips_an_awkward_path(tmp_path: Path) -> None:
    backend = XdgAutostart(tmp_path / "config")
    awkward = ('/home/o"neil $x/bin\\tw', "--background")
    backend.enable(awkward)
    assert backend.status().command == awkward


def test_xdg_enable_writes_a_valid_autostart_entry(tmp_path: Path) -> None:
    backend = XdgAutostart.from_environment({"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert not backend.status().enabled
    backend.enable(COMMAND)
    path = tmp_path / "cfg" / "autostart" / f"{APP_ID}.desktop"
    assert path.is_file()
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    entry = parser["Desktop Entry"]
    assert entry["Exec"] == "/home/ana/.local/bin/tokenwallet --background"
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    assert entry["Icon"] == APP_ID
    status = backend.status()
    assert status.enabled and status.command == COMMAND and status.location == str(path)
    validator = shutil.which("desktop-file-validate")
    if validator:
        result = subprocess.run([validator, str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


def test_xdg_disable_removes_the_entry_and_is_idempotent(tmp_path: Path) -> None:
    backend = XdgAutostart(tmp_path)
    backend.enable(COMMAND)
    backend.disable()
    backend.disable()
    assert not backend.path.exists()
    assert not backend.status().enabled


def test_xdg_entry_switched_off_by_the_desktop_counts_as_off(tmp_path: Path) -> None:
    backend = XdgAutostart(tmp_path)
    backend.enable(COMMAND)
    backend.path.write_text(backend.path.read_text().replace("enabled=true", "enabled=false"))
    assert not backend.status().enabled


def test_xdg_relative_config_home_is_ignored(tmp_path: Path) -> None:
    backend = XdgAutostart.from_environment({"XDG_CONFIG_HOME": "relative/cfg"}, home=tmp_path)
    assert backend.config_home == tmp_path / ".config"


def test_unwritable_folder_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cfg"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(AutostartError, match="cannot write"):
        XdgAutostart(blocker).enable(COMMAND)


def test_xdg_entry_text_has_the_background_flag() -> None:
    assert "Exec=/home/ana/.local/bin/tokenwallet --background\n" in xdg_autostart_entry(COMMAND)


# ----------------------------------------------------------------------------- macOS


def test_launch_agent_plist(tmp_path: Path) -> None:
    backend = backend_for(OsFamily.MACOS, home=tmp_path)
    assert isinstance(backend, LaunchAgent)
    backend.enable(("/Applications/tokenwallet.app/Contents/MacOS/tokenwallet", "--background"))
    path = tmp_path / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    data = plistlib.loads(path.read_bytes())
    assert data["Label"] == APP_ID
    assert data["ProgramArguments"] == ["/Applications/tokenwallet.app/Contents/MacOS/tokenwallet", "--background"]
    assert data["RunAtLoad"] is True
    assert backend.status().enabled
    backend.disable()
    assert not path.exists() and not backend.status().enabled


def test_corrupt_launch_agent_is_reported(tmp_path: Path) -> None:
    backend = LaunchAgent(tmp_path)
    backend.path.parent.mkdir(parents=True)
    backend.path.write_bytes(b"not a plist")
    with pytest.raises(AutostartError, match="not a valid property list"):
        backend.status()


# ----------------------------------------------------------------------------- Windows


def test_windows_run_key_with_a_fake_registry() -> None:
    registry = FakeRegistry()
    backend = backend_for(OsFamily.WINDOWS, registry=registry)
    assert isinstance(backend, WindowsRunKey)
    command = (r"C:\Program Files\tokenwallet\tokenwallet.exe", "--background")
    status = set_autostart(True, backend, command)
    assert registry.values == {"tokenwallet": r'"C:\Program Files\tokenwallet\tokenwallet.exe" --background'}
    assert status.enabled and status.location.endswith(r"CurrentVersion\Run\tokenwallet")
    assert not set_autostart(False, backend).enabled
    assert registry.values == {}


def test_windows_value_quotes_only_when_needed() -> None:
    assert windows_run_value((r"C:\tw\tokenwallet.exe", "--background")) == r"C:\tw\tokenwallet.exe --background"


def test_registry_failure_becomes_autostart_error() -> None:
    class Denied(FakeRegistry):
        def set(self, name: str, value: str) -> None:
            raise PermissionError(5, "Access is denied")

    with pytest.raises(AutostartError, match="cannot write HKCU"):
        WindowsRunKey(Denied()).enable(COMMAND)


# ----------------------------------------------------------------------------- CLI


def test_cli_on_status_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tokenwallet.cli.root import cli

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    home = str(tmp_path / "twhome")
    runner = CliRunner()
    entry = tmp_path / "cfg" / "autostart" / f"{APP_ID}.desktop"

    result = runner.invoke(cli, ["--home", home, "autostart", "on", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)["autostart"]
    assert payload["enabled"] is True and payload["mechanism"] == "xdg-autostart"
    # the entry starts the app on the same home as the command that turned it on
    assert payload["command"][-3:] == ["--background", "--home", home]
    assert entry.is_file()
    assert "start_at_login = true" in (tmp_path / "twhome" / "config" / "settings.toml").read_text()

    result = runner.invoke(cli, ["--home", home, "autostart", "status"])
    assert result.exit_code == 0 and result.output.startswith("autostart: on (xdg-autostart:")

    result = runner.invoke(cli, ["--home", home, "autostart", "off"])
    assert result.exit_code == 0, result.output
    assert not entry.exists()
    assert "start_at_login = false" in (tmp_path / "twhome" / "config" / "settings.toml").read_text()
    assert runner.invoke(cli, ["--home", home, "autostart", "status"]).output.startswith("autostart: off")


def test_cli_reports_an_unwritable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tokenwallet.cli.root import cli

    (tmp_path / "cfg").write_text("a file, not a folder")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    result = CliRunner().invoke(cli, ["--home", str(tmp_path / "h"), "autostart", "on"])
    assert result.exit_code == 1
    assert "cannot write" in result.output
