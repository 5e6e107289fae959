"""Start tokenwallet with the user's session: XDG autostart, a macOS LaunchAgent or the Windows Run key.

The entry contents are built by pure functions; three small adapters write them.  Every adapter
takes its location (config folder, home folder, registry) as an argument, so tests point them at
a temporary home and a fake registry.  :func:`backend_for` picks the adapter for this OS.
"""

from __future__ import annotations

import importlib
import os
import plistlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from tokenwallet.domain.errors import TokenwalletError
from tokenwallet.paths import APP_ID, APP_NAME

BACKGROUND_FLAG = "--background"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE_NAME = "tokenwallet"


class AutostartError(TokenwalletError):
    """The autostart entry could not be written, read or removed."""


class OsFamily(StrEnum):
    """The three ways a desktop starts programs at login."""

    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"


def os_family(platform: str = sys.platform) -> OsFamily:
    """The OS family for a ``sys.platform`` value (every other Unix uses XDG autostart)."""
    if platform == "darwin":
        return OsFamily.MACOS
    if platform in ("win32", "cygwin"):
        return OsFamily.WINDOWS
    return OsFamily.LINUX


@dataclass(frozen=True, slots=True)
class AutostartStatus:
    """Whether tokenwallet starts at login, where that is recorded and the command it runs."""

    enabled: bool
    mechanism: str
    location: str
    command: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "enabled": self.enabled,
            "mechanism": self.mechanism,
            "location": self.location,
            "command": list(self.command),
        }


# --------------------------------------------------------------------------- the command line


def launch_command(
    *,
    frozen: bool | None = None,
    executable: str | None = None,
    environ: dict[str, str] | None = None,
    which: Any = shutil.which,
    windows: bool | None = None,
    home: Path | str | None = None,
) -> tuple[str, ...]:
    """The command that starts tokenwallet in the tray, as an absolute argument list.

    - a frozen bundle (PyInstaller) runs its own executable;
    - inside Flatpak, ``flatpak run <APP_ID>``;
    - a venv or pipx install runs the ``tokenwallet`` script next to the interpreter, by absolute
      path, because login sessions often lack ``~/.local/bin`` on ``PATH``;
    - otherwise the ``tokenwallet`` found on ``PATH``, and failing that ``python -m tokenwallet``.

    ``home`` (the ``--home`` folder in use, if any) is passed on as an absolute ``--home``, so the
    app started at login uses the same files as the one that asked for it.
    """
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = sys.executable if executable is None else executable
    env = dict(os.environ) if environ is None else environ
    windows = os_family() is OsFamily.WINDOWS if windows is None else windows
    tail = (BACKGROUND_FLAG, *(("--home", str(Path(home).expanduser().absolute())) if home else ()))
    if frozen:
        return (executable, *tail)
    if env.get("FLATPAK_ID") == APP_ID:
        return ("flatpak", "run", APP_ID, *tail)
    script_name = "tokenwallet.exe" if windows else "tokenwallet"
    # pipx and venvs put the console script beside the interpreter (bin/ or Scripts/).
    beside = Path(executable).parent / script_name
    if beside.is_file():
        return (str(beside), *tail)
    found = which(APP_NAME)
    if found:
        return (str(Path(found).absolute()), *tail)
    return (executable, "-m", "tokenwallet", *tail)


_EXEC_RESERVED = re.compile(r"[\s\"'\\><~|&;$*?#()`]")


def desktop_exec(command: tuple[str, ...]) -> str:
    """Quote ``command`` for a desktop entry's ``Exec=`` key (freedesktop Desktop Entry spec)."""
    parts = []
    for arg in command:
        arg = arg.replace("%", "%%")  # a bare % would be a field code
        if _EXEC_RESERVED.search(arg) or not arg:
            escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
            arg = f'"{escaped}"'
        # The file format itself treats backslash as an escape too, so double each one.
        parts.append(arg.replace("\\", "\\\\"))
    return " ".join(parts)


def xdg_autostart_entry(command: tuple[str, ...]) -> str:
    """The ``.desktop`` file placed in ``$XDG_CONFIG_HOME/autostart``."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=tokenwallet\n"
        "Comment=Track your personal AI-compute allowance from the tray\n"
        f"Exec={desktop_exec(command)}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
        # A short delay lets the panel's tray host come up first, so the icon docks.
        "X-GNOME-Autostart-Delay=5\n"
    )


def launch_agent_plist(command: tuple[str, ...]) -> bytes:
    """The LaunchAgent property list placed in ``~/Library/LaunchAgents``."""
    return plistlib.dumps(
        {
            "Label": APP_ID,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            # Quitting from the menu must stay quit until the next login.
            "KeepAlive": False,
            "ProcessType": "Interactive",
        }
    )


def windows_run_value(command: tuple[str, ...]) -> str:
    """The command line stored in the HKCU Run key (quoted the way CreateProcess splits it)."""
    return subprocess.list2cmdline(list(command))


# --------------------------------------------------------------------------- adapters


class AutostartBackend(Protocol):
    """One OS's way of starting a program at login."""

    mechanism: str

    def enable(self, command: tuple[str, ...]) -> None:
        """Write the entry so ``command`` runs at the next login."""

    def disable(self) -> None:
        """Remove the entry (doing nothing when there is none)."""

    def status(self) -> AutostartStatus:
        """Read the entry."""


def _write_atomically(path: Path, data: bytes) -> None:
    from tokenwallet.files import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readable by all like the desktop's own entries: it holds a command line, no secret.
        atomic_write(path, data, mode=0o644)
    except OSError as exc:
        raise AutostartError(f"cannot write {path}: {exc.strerror or exc}; check the folder's permissions") from exc


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise AutostartError(f"cannot remove {path}: {exc.strerror or exc}") from exc


@dataclass
class XdgAutostart:
    """``<config_home>/autostart/<APP_ID>.desktop`` (freedesktop Desktop Application Autostart)."""

    config_home: Path
    mechanism: str = "xdg-autostart"

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None, home: Path | None = None) -> XdgAutostart:
        """``$XDG_CONFIG_HOME``, or ``~/.config`` when it is unset or not absolute (as the spec says)."""
        env = dict(os.environ) if environ is None else environ
        value = env.get("XDG_CONFIG_HOME", "")
        if value and Path(value).is_absolute():
            return cls(Path(value))
        return cls((home or Path.home()) / ".config")

    @property
    def path(self) -> Path:
        """The entry file."""
        return self.config_home / "autostart" / f"{APP_ID}.desktop"

    def enable(self, command: tuple[str, ...]) -> None:
        """Write the entry."""
        _write_atomically(self.path, xdg_autostart_entry(command).encode())

    def disable(self) -> None:
        """Remove the entry."""
        _remove(self.path)

    def status(self) -> AutostartStatus:
        """Enabled when the file exists and neither ``Hidden=true`` nor ``X-GNOME-Autostart-enabled=false``."""
        if not self.path.is_file():
            return AutostartStatus(False, self.mechanism, str(self.path))
        keys: dict[str, str] = {}
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                keys.setdefault(key.strip(), value.strip())
        enabled = keys.get("Hidden", "false") != "true" and keys.get("X-GNOME-Autostart-enabled", "true") != "false"
        return AutostartStatus(enabled, self.mechanism, str(self.path), _split_exec(keys.get("Exec", "")))


def _split_exec(value: str) -> tuple[str, ...]:
    """Undo :func:`desktop_exec` (enough for the entries this module writes)."""
    value = value.replace("\\\\", "\\")
    args: list[str] = []
    current, quoted, escaped, started = "", False, False, False
    for ch in value:
        if escaped:
            current, escaped = current + ch, False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted, started = not quoted, True
        elif ch == " " and not quoted:
            if started or current:
                args.append(current)
            current, started = "", False
        else:
            current += ch
    if started or current:
        args.append(current)
    return tuple(arg.replace("%%", "%") for arg in args)


@dataclass
class LaunchAgent:
    """``<home>/Library/LaunchAgents/<APP_ID>.plist``; launchd reads it at the next login."""

    home: Path
    mechanism: str = "launch-agent"

    @property
    def path(self) -> Path:
        """The property list file."""
        return self.home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"

    def enable(self, command: tuple[str, ...]) -> None:
        """Write the property list."""
        _write_atomically(self.path, launch_agent_plist(command))

    def disable(self) -> None:
        """Remove the property list."""
        _remove(self.path)

    def status(self) -> AutostartStatus:
        """Enabled when the list exists, is readable and says ``RunAtLoad`` and not ``Disabled``."""
        if not self.path.is_file():
            return AutostartStatus(False, self.mechanism, str(self.path))
        try:
            data = plistlib.loads(self.path.read_bytes())
        except (plistlib.InvalidFileException, ValueError) as exc:
            raise AutostartError(
                f"{self.path} is not a valid property list ({exc}); run 'autostart on' to rewrite it"
            ) from exc
        enabled = bool(data.get("RunAtLoad")) and not data.get("Disabled", False)
        return AutostartStatus(enabled, self.mechanism, str(self.path), tuple(data.get("ProgramArguments", ())))


class RunKeyRegistry(Protocol):
    """The three operations needed on ``HKCU\\...\\Run`` (a fake in tests, ``winreg`` on Windows)."""

    def get(self, name: str) -> str | None:
        """The string value ``name``, or None."""

    def set(self, name: str, value: str) -> None:
        """Write the string value ``name``."""

    def delete(self, name: str) -> None:
        """Remove the value ``name`` (doing nothing when absent)."""


class WinregRunKey:
    """:class:`RunKeyRegistry` over the real registry (Windows only; ``winreg`` is imported on use)."""

    def __init__(self, key_path: str = RUN_KEY) -> None:
        self.key_path = key_path

    def _winreg(self) -> Any:
        return importlib.import_module("winreg")

    def get(self, name: str) -> str | None:
        """Read the value."""
        winreg = self._winreg()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, self.key_path) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, name: str, value: str) -> None:
        """Write the value as REG_SZ."""
        winreg = self._winreg()
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, self.key_path) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        """Remove the value."""
        winreg = self._winreg()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, self.key_path, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


@dataclass
class WindowsRunKey:
    """The ``tokenwallet`` value under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``."""

    registry: RunKeyRegistry
    mechanism: str = "windows-run-key"

    def enable(self, command: tuple[str, ...]) -> None:
        """Write the value."""
        try:
            self.registry.set(RUN_VALUE_NAME, windows_run_value(command))
        except OSError as exc:
            raise AutostartError(f"cannot write HKCU\\{RUN_KEY}\\{RUN_VALUE_NAME}: {exc}") from exc

    def disable(self) -> None:
        """Remove the value."""
        try:
            self.registry.delete(RUN_VALUE_NAME)
        except OSError as exc:
            raise AutostartError(f"cannot remove HKCU\\{RUN_KEY}\\{RUN_VALUE_NAME}: {exc}") from exc

    def status(self) -> AutostartStatus:
        """Enabled when the value exists."""
        value = self.registry.get(RUN_VALUE_NAME)
        location = f"HKCU\\{RUN_KEY}\\{RUN_VALUE_NAME}"
        if value is None:
            return AutostartStatus(False, self.mechanism, location)
        return AutostartStatus(True, self.mechanism, location, (value,))


def backend_for(
    family: OsFamily | None = None,
    *,
    home: Path | None = None,
    environ: dict[str, str] | None = None,
    registry: RunKeyRegistry | None = None,
) -> AutostartBackend:
    """The adapter for ``family`` (this OS by default), rooted at ``home`` (the user's by default)."""
    family = os_family() if family is None else family
    if family is OsFamily.MACOS:
        return LaunchAgent(home or Path.home())
    if family is OsFamily.WINDOWS:
        return WindowsRunKey(registry or WinregRunKey())
    return XdgAutostart.from_environment(environ, home)


def set_autostart(
    enabled: bool,
    backend: AutostartBackend | None = None,
    command: tuple[str, ...] | None = None,
    *,
    home: Path | str | None = None,
) -> AutostartStatus:
    """Switch starting at login on or off and return the resulting status (the settings dialog calls this).

    ``home`` is the ``--home`` folder in use (None: the platform folders); the entry keeps it.
    """
    backend = backend_for() if backend is None else backend
    if enabled:
        backend.enable(launch_command(home=home) if command is None else command)
    else:
        backend.disable()
    return backend.status()


def autostart_status(backend: AutostartBackend | None = None) -> AutostartStatus:
    """Whether tokenwallet starts at login on this machine."""
    return (backend_for() if backend is None else backend).status()
