"""The one way tokenwallet writes a whole file: atomic, private and never through a symbolic link.

(And the one way it creates folders: :func:`make_private_dirs`, mode 0700.)

:func:`atomic_write` is used for every file written in one go (reports, settings, the autostart
entry, the icon cache).  Readers see the old file or the new one, never half of either; a crash
leaves at most a hidden temporary file next to the target.

Symbolic links: the temporary file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` under a
random name, so a link planted at a guessable temporary name is never followed (it is skipped and
another name is drawn).  A link *at the target itself* is refused with an error rather than
replaced: replacing it would silently turn the user's link into a plain file, and writing through
it would put the data wherever the link points.  The user can name the link's destination instead.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_TEMP_TRIES = 16
_NAME_ROOM = 200  # of the 255 bytes most file systems allow, leaving room for the random part


def atomic_write(path: Path | str, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically; the new file has permissions ``mode`` exactly.

    The data goes to a new temporary file in the same folder, which is flushed to disk and then
    renamed over ``path`` (``os.replace``); the folder is synced as well where the OS allows it.
    Raises :class:`OSError` when the file cannot be written; its ``strerror`` is a sentence fit
    for a message (``ELOOP`` for a symbolic link at ``path``, ``EISDIR`` for a folder).
    """
    target = Path(path)
    folder = target.parent
    _check_target(target)
    fd, temp = _create_temp(folder, target.name, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _sync_folder(folder)


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and every missing parent with mode 0700 (where the OS honours modes).

    Only folders created here get that mode: one that already exists (the user's own, or a
    ``--home`` made beforehand) keeps the permissions it has.  Missing parents are private too,
    as the XDG base directory specification asks, so a new ``--home a/b/c`` is 0700 at every level.
    """
    missing: list[Path] = []
    current = Path(folder)
    while not os.path.lexists(current) and current.parent != current:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            if not path.is_dir():
                raise
            continue  # made by another process meanwhile: not ours to change
        if os.name == "posix":
            os.chmod(path, 0o700)  # exactly 0700, whatever the umask


def _check_target(target: Path) -> None:
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise OSError(
            errno.ELOOP,
            "it is a symbolic link, which tokenwallet neither writes through nor replaces; "
            "name the file it points to, or another file",
            str(target),
        )
    if stat.S_ISDIR(info.st_mode):
        raise OSError(errno.EISDIR, "it is a folder; name a file", str(target))


def _create_temp(folder: Path, name: str, mode: int) -> tuple[int, Path]:
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL  # never an existing file, and (with O_CREAT) never through a link
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_BINARY", 0)
    )
    for _ in range(_TEMP_TRIES):
        temp = folder / f".{name[:_NAME_ROOM]}.{_random_part()}.tmp"
        try:
            fd = os.open(temp, flags, mode)
        except FileExistsError:
            continue  # a file or a link already has this name: draw another
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # exactly ``mode``, whatever the umask took away
        except BaseException:
            os.close(fd)
            os.unlink(temp)
            raise
        return fd, temp
    raise OSError(errno.EEXIST, "no free temporary file name next to it", str(folder / name))


def _random_part() -> str:
    """Twelve random hex digits: a temporary name nobody can plant a link at in advance."""
    return os.urandom(6).hex()


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); file systems that cannot sync a folder are fine."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
