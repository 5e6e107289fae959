"""atomic_write: atomic, private, never through a planted symlink; the writers that use it."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tokenwallet import files
from tokenwallet.files import atomic_write


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Umask 0, so modes below come from the writer and not from the test machine's umask."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_replaces_and_keeps_the_mode_exact(tmp_path: Path, permissive_umask: None) -> None:
    target = tmp_path / "report.csv"
    atomic_write(target, b"one")
    assert target.read_bytes() == b"one" and _mode(target) == 0o600
    target.chmod(0o644)
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two" and _mode(target) == 0o600
    atomic_write(target, b"three", mode=0o644)
    assert _mode(target) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]  # no temporary file left


def test_a_link_planted_at_the_temporary_name_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    names = iter(["guessed", "guessed", "fresh"])
    monkeypatch.setattr(files, "_random_part", lambda: next(names))
    planted = tmp_path / ".out.pdf.guessed.tmp"
    planted.symlink_to(victim)
    atomic_write(tmp_path / "out.pdf", b"%PDF")
    assert victim.read_bytes() == b"precious"
    assert (tmp_path / "out.pdf").read_bytes() == b"%PDF" and not (tmp_path / "out.pdf").is_symlink()
    assert planted.is_symlink()  # left alone


def test_a_symlink_at_the_target_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    link = tmp_path / "report.pdf"
    link.symlink_to(victim)
    with pytest.raises(OSError) as info:
        atomic_write(link, b"%PDF")
    assert info.value.errno == errno.ELOOP and "symbolic link" in str(info.value.strerror)
    assert victim.read_bytes() == b"precious" and link.is_symlink()
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OSError):
        atomic_write(dangling, b"x")
    assert not (tmp_path / "nowhere").exists()


def test_a_folder_or_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError) as info:
        atomic_write(tmp_path / "dir", b"x")
    assert info.value.errno == errno.EISDIR
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "missing" / "x.pdf", b"x")


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "settings.toml"
    target.write_bytes(b"old")

    def broken_replace(*_: object) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.toml"]


# --- the writers that go through it ---------------------------------------------------------


def test_settings_are_private_and_a_link_is_not_written_through(tmp_path: Path, permissive_umask: None) -> None:
    from tokenwallet import settings as settings_mod

    path = tmp_path / "config" / "settings.toml"
    settings_mod.save(path, settings_mod.Settings(poll_interval_minutes=7))
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text("# mine\n")
    path.unlink()
    path.symlink_to(elsewhere)
    from tokenwallet.domain.errors import ConfigError

    with pytest.raises(ConfigError, match="symbolic link"):
        settings_mod.save(path, settings_mod.Settings(poll_interval_minutes=8))
    assert elsewhere.read_text() == "# mine\n"


def test_autostart_entry_ignores_a_planted_temporary_link(tmp_path: Path) -> None:
    from tokenwallet.paths import APP_ID
    from tokenwallet.platform.autostart import XdgAutostart

    folder = tmp_path / "cfg" / "autostart"
    folder.mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    for name in (f"{APP_ID}.desktop.tmp", f".{APP_ID}.desktop.tmp"):
        (folder / name).symlink_to(victim)
    XdgAutostart(tmp_path / "cfg").enable(("/usr/bin/tokenwallet", "--background"))
    assert victim.read_text() == "precious"
    assert "--background" in (folder / f"{APP_ID}.desktop").read_text()


def test_icon_cache_ignores_a_planted_temporary_link(tmp_path: Path) -> None:
    from tokenwallet.ui.tray.icon_cache import CachedIcon, read_cached_icon, write_cached_icon
    from tokenwallet.ui.tray.meter_state import Severity

    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "tray-icon.txt.tmp").symlink_to(victim)
    write_cached_icon(tmp_path / "tray-icon.txt", CachedIcon(12.5, Severity.OK))
    assert victim.read_text() == "precious"
    assert read_cached_icon(tmp_path / "tray-icon.txt") == CachedIcon(12.5, Severity.OK)
