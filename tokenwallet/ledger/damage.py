"""What a SQLite failure says about the ledger file, and how a damaged file is moved aside.

Only two findings count as damage: SQLite saying the file is not a database at all
(``SQLITE_NOTADB``), and an integrity check (``PRAGMA quick_check``) that reports problems.
"Database disk image is malformed" (``SQLITE_CORRUPT``) on a query is a reason to run that
check, not a verdict.  A full disk, an I/O error, a lock held by another process or a read-only
file never are: moving a healthy ledger aside for those would lose the user's history the moment
the next run created an empty one.

Files this module writes into the backup folder get names no other file has (a counter follows
the time stamp when needed), so two backups in one second never overwrite each other.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

# SQLite's primary result codes (the low byte of an extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB, _PERM = 5, 6, 8, 10, 11, 13, 14, 26, 3

# For exceptions without ``sqlite_errorcode`` (raised by hand, or by older Pythons): SQLite's texts.
_TEXTS: tuple[tuple[str, int], ...] = (
    ("file is not a database", _NOTADB),
    ("database disk image is malformed", _CORRUPT),
    ("malformed database schema", _CORRUPT),
    ("database or disk is full", _FULL),
    ("disk i/o error", _IOERR),
    ("database is locked", _BUSY),
    ("database table is locked", _LOCKED),
    ("database schema is locked", _LOCKED),
    ("readonly database", _READONLY),
    ("unable to open database file", _CANTOPEN),
)


class Failure(Enum):
    """What kind of trouble a SQLite error means for the ledger."""

    DAMAGED = "damaged"  # the file is not a database: damage without further checks
    SUSPECT = "suspect"  # SQLite read something malformed: damage if the integrity check agrees
    FULL = "full"  # no space left (or a size limit reached)
    IO = "io"  # the operating system failed a read or write
    BUSY = "busy"  # another connection kept the lock past the busy timeout
    READ_ONLY = "read_only"  # the file or its folder cannot be written
    CANNOT_OPEN = "cannot_open"  # missing folder, permissions, not a file
    OTHER = "other"  # another operational failure (plain words, nothing moved)
    BUG = "bug"  # a constraint or API misuse: a programming error, not a ledger condition


_BY_CODE = {
    _NOTADB: Failure.DAMAGED,
    _CORRUPT: Failure.SUSPECT,
    _FULL: Failure.FULL,
    _IOERR: Failure.IO,
    _BUSY: Failure.BUSY,
    _LOCKED: Failure.BUSY,
    _READONLY: Failure.READ_ONLY,
    _CANTOPEN: Failure.CANNOT_OPEN,
    _PERM: Failure.CANNOT_OPEN,
}


def result_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code of ``exc`` (from the exception, else from SQLite's message)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    for needle, value in _TEXTS:
        if needle in text:
            return value
    return None


def classify(exc: sqlite3.Error) -> Failure:
    """What ``exc`` means for the ledger file."""
    if type(exc) not in (sqlite3.DatabaseError, sqlite3.OperationalError):
        return Failure.BUG  # IntegrityError, ProgrammingError, InterfaceError, DataError, ...
    code = result_code(exc)
    return _BY_CODE.get(code, Failure.OTHER) if code is not None else Failure.OTHER


def integrity_problems(path: Path, *, limit: int = 3) -> list[str]:
    """What ``PRAGMA quick_check`` finds wrong in the file at ``path`` (empty: nothing).

    A file SQLite cannot even check (not a database, a malformed schema) is one problem.  Other
    failures (the file is locked, cannot be opened) raise: they say nothing about damage.
    """
    conn = sqlite3.connect(path, timeout=1.0)
    try:
        rows = conn.execute(f"PRAGMA quick_check({int(limit)})").fetchall()
    except sqlite3.DatabaseError as exc:
        if classify(exc) in (Failure.DAMAGED, Failure.SUSPECT):
            return [str(exc)]
        raise
    finally:
        conn.close()
    found = [str(r[0]) for r in rows]
    return [] if found == ["ok"] else found


def summary(problems: list[str]) -> str:
    """The first finding of an integrity check, on one line."""
    first = problems[0].replace("*** in database main ***", "").strip().splitlines() if problems else []
    return (first[0] if first else "damaged") + (" ..." if len(problems) > 1 or len(first) > 1 else "")


def stamp() -> str:
    """The UTC time in backup file names: ``20261115T120000Z``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def reserve(folder: Path, name: str, suffix: str) -> Path:
    """Create an empty private file ``folder/name<suffix>`` -- or ``name-2<suffix>``, ``name-3``, ... when
    that exists -- and return it.  Creation is exclusive, so no existing file is ever replaced."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
    for n in itertools.count(1):
        candidate = folder / (f"{name}{suffix}" if n == 1 else f"{name}-{n}{suffix}")
        try:
            fd = os.open(candidate, flags, 0o600)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def move_aside(path: Path, backup_dir: Path) -> Path:
    """Move the ledger file (and its ``-wal``/``-shm`` companions) to a new name in ``backup_dir``."""
    import shutil  # here, not at load: every command opens the ledger, few find it damaged

    target = reserve(backup_dir, f"{path.stem}-corrupt-{stamp()}", path.suffix)
    try:
        shutil.move(path, target)  # a rename on one file system; replaces only the placeholder reserved above
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    for companion in ("-wal", "-shm"):
        side = path.with_name(path.name + companion)
        if side.exists():
            shutil.move(side, target.with_name(target.name + companion))
    return target


def free_megabytes(folder: Path) -> int | None:
    """Free space for this user at ``folder`` (or its nearest existing parent), in MB; None if unknown."""
    import shutil

    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free // 1_000_000
        except OSError:
            continue
    return None
