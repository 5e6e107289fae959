"""Open the ledger: create it private, tell damage from other failures, back up before migrating.

Every connection waits up to :data:`BUSY_TIMEOUT_MS` for another writer, and every write
transaction takes the write lock when it begins (:class:`LedgerDatabase`), so a write started
while a poll or an import is writing waits its turn instead of failing.  Readers never wait: the
ledger is in WAL mode and opening it takes no lock unless a migration is pending.

:func:`ledger_error` turns a ``sqlite3`` failure into the domain error with plain words; both
front-ends call it (the CLI's error handler, the tray through ``AppContext.ledger_error``).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain, count
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.errors import CorruptLedgerError, LedgerBusyError, LedgerError, LedgerFullError
from tokenwallet.ledger import damage, migrations
from tokenwallet.ledger.damage import Failure

if TYPE_CHECKING:
    from sqlite_utils import Database

    _Base = Database
else:
    _Base = object

BUSY_TIMEOUT_MS = 5000
"""How long every connection waits for another connection's write lock before giving up."""
ROWS_PER_STATEMENT = 500
"""Rows bound to one multi-row ``INSERT`` by :func:`insert_rows`."""
FULL_BELOW_MB = 100
"""An I/O error with less free space than this is reported as a full disk."""


_SAVEPOINTS = count()
_FIRST_WORD = re.compile(r"(?:\s|;|\ufeff|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z_]*)", re.DOTALL)
_TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})


class LedgerDatabase(_Base):
    """The ledger's connection, used as a ``sqlite_utils.Database``; its outermost :meth:`atomic`
    begins with ``BEGIN IMMEDIATE``.

    A deferred transaction that reads before it writes cannot wait for the write lock: when
    another connection holds it, SQLite fails the first write at once with "database is locked"
    (the busy timeout only covers a transaction that has not read yet).  Taking the lock at the
    start makes every write wait up to the busy timeout instead.  Nested blocks are savepoints.

    :meth:`execute`, :meth:`atomic`, :meth:`rollback` and :meth:`close` behave as sqlite-utils'
    own (a statement that opens a transaction outside one is committed at once), without loading
    sqlite-utils, which takes longer than a whole ``tokenwallet status``; anything else of
    ``sqlite_utils.Database`` (:meth:`full`) is made on first use, on the same connection.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.execute("PRAGMA recursive_triggers=on;")  # as sqlite_utils.Database sets it

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None) -> sqlite3.Cursor:
        """Run one statement; a write outside a transaction is committed at once."""
        conn = self.conn
        was_in_transaction = conn.in_transaction
        try:
            cursor = conn.execute(sql) if parameters is None else conn.execute(sql, parameters)
        except Exception:
            if not was_in_transaction and conn.in_transaction:
                conn.execute("ROLLBACK")  # the failed statement's implicit transaction would capture later writes
            raise
        if not was_in_transaction and conn.in_transaction and cursor.description is None:
            found = _FIRST_WORD.match(sql)
            if found is None or found.group(1).upper() not in _TRANSACTION_CONTROL:
                conn.execute("COMMIT")
        return cursor

    @contextmanager
    def atomic(self) -> Generator[Database, None, None]:
        """One transaction holding the write lock (a savepoint when one is already open)."""
        conn = self.conn
        if conn.in_transaction:
            savepoint = f"ledger_{next(_SAVEPOINTS)}"
            conn.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self
            except BaseException:
                # An error such as a RAISE(ROLLBACK) trigger can end the whole transaction.
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                    conn.execute(f"RELEASE SAVEPOINT {savepoint}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> LedgerDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<LedgerDatabase {self.conn}>"

    def full(self) -> Database:
        """A ``sqlite_utils.Database`` on this connection (tables, rows, migrations), made once."""
        found: Database | None = self.__dict__.get("_full")
        if found is None:
            from sqlite_utils import Database

            found = self.__dict__["_full"] = Database(self.conn, recursive_triggers=False, execute_plugins=False)
        return found

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("conn", "_full"):
            raise AttributeError(name)
        return getattr(self.full(), name)


def _prepare_file(path: Path) -> None:
    """Create the ledger file private before SQLite does, or check the one that is there.

    Permissions are only ever taken away (group and others), never added: a user who made the
    ledger read-only (0400) keeps it read-only.  A symbolic link is followed but its target's
    mode is left to whoever made the link.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise LedgerError(
            f"the folder {folder} for the ledger could not be created ({exc.strerror or exc}); "
            "choose a home folder you can write to."
        ) from exc
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            return  # another process created it a moment ago
        except OSError as exc:
            raise LedgerError(
                f"the ledger {path} could not be created ({exc.strerror or exc}); make {folder} writable "
                "or choose another home folder."
            ) from exc
        os.close(fd)
        return
    if stat.S_ISLNK(info.st_mode):
        if not path.exists():
            raise LedgerError(
                f"the ledger {path} is a link to {os.readlink(path)}, which does not exist; restore that file "
                "or remove the link."
            )
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode):
            return  # the target's mode belongs to whoever made the link
    if stat.S_ISDIR(info.st_mode):
        raise LedgerError(
            f"the ledger path {path} is a folder, not a file; move that folder away or choose another home folder."
        )
    if not stat.S_ISREG(info.st_mode):
        raise LedgerError(f"the ledger path {path} is not a regular file; move it away or choose another home folder.")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        try:
            os.chmod(path, mode & 0o700)
        except OSError:
            pass  # not ours to change (another owner); SQLite still opens it as far as it is allowed


def _backup(db: Database, path: Path, backup_dir: Path, before: str) -> Path:
    """Copy the live database with SQLite's online backup API (consistent even in WAL mode)."""
    target = damage.reserve(backup_dir, f"{path.stem}-{damage.stamp()}-before-{before}", path.suffix)
    try:
        dest = sqlite3.connect(target)
        try:
            db.conn.backup(dest)
        finally:
            dest.close()
    except BaseException:
        target.unlink(missing_ok=True)  # half a copy is no backup
        raise
    return target


def insert_rows(db: Database, insert: str, rows: Sequence[Sequence[Any]], conflict: str = "") -> None:
    """Run ``{insert} VALUES (...), (...), ... {conflict}`` for ``rows``, many rows per statement.

    For bulk writes: binding hundreds of rows to one statement costs about a third less per row
    than one statement per row (``executemany``).  ``insert`` is ``INSERT INTO t (columns)``;
    every row has one value per column.
    """
    if not rows:
        return
    width = len(rows[0])
    per = max(1, min(ROWS_PER_STATEMENT, db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    one = f"({', '.join('?' * width)})"
    full = f"{insert} VALUES {', '.join([one] * per)} {conflict}"
    for at in range(0, len(rows), per):
        chunk = rows[at : at + per]
        sql = full if len(chunk) == per else f"{insert} VALUES {', '.join([one] * len(chunk))} {conflict}"
        db.conn.execute(sql, list(chain.from_iterable(chunk)))


def configure(db: Database, busy_timeout_ms: int | None = None) -> Database:
    """Per-connection settings every ledger connection needs (the one busy timeout included)."""
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms)}")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def open_ledger(
    path: Path | str,
    *,
    backup_dir: Path | str | None = None,
    migrate: bool = True,
    busy_timeout_ms: int | None = None,
) -> LedgerDatabase:
    """Open (creating if needed) the ledger at ``path`` and bring its schema up to date.

    Failures raise :class:`LedgerError` subclasses (see :func:`ledger_error`): only a damaged file
    is moved into ``backup_dir`` (:class:`CorruptLedgerError` says where); a full disk, a lock
    held too long or a read-only file leave it as it was.  Before migrating a ledger that already
    has data, its integrity is checked and a backup copy is written to ``backup_dir``.  With no
    migration pending, opening takes no lock.
    """
    path = Path(path)
    backups = Path(backup_dir) if backup_dir is not None else path.parent / "backups"
    timeout = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
    _prepare_file(path)
    try:
        # The timeout is SQLite's busy handler: wait for another connection's write instead of failing.
        conn = sqlite3.connect(path, check_same_thread=False, timeout=timeout / 1000)
    except sqlite3.Error as exc:
        raise _open_failure(exc, path, backups) from exc
    db = LedgerDatabase(conn)
    try:
        # Reading the schema is the cheapest operation that fails on a foreign or badly damaged file.
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")  # needs the lock once; WAL ledgers skip it
        configure(db, timeout)
        if migrate:
            _migrate(db, path, backups)
    except sqlite3.Error as exc:
        db.close()
        raise _open_failure(exc, path, backups) from exc
    except _Damaged as exc:
        db.close()
        raise _moved_aside(path, backups, exc.problems) from None
    except BaseException:
        db.close()
        raise
    return db


class _Damaged(Exception):
    """The integrity check before a migration found problems (handled inside :func:`open_ledger`)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(damage.summary(problems))
        self.problems = problems


def pending_migrations(db: LedgerDatabase) -> list[str]:
    """The names of the migrations not applied to ``db`` yet, in order.

    Read without sqlite-utils unless the migration set is loaded already (a process that migrated,
    or a test that registered a migration of its own).
    """
    if "MIGRATIONS" in vars(migrations):
        return [step.name for step in migrations.MIGRATIONS.pending(db.full())]
    try:
        rows = db.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [migrations.SET]).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        rows = []  # a new ledger
    applied = {row[0] for row in rows}
    return [name for name in migrations.NAMES if name not in applied]


def _migrate(db: LedgerDatabase, path: Path, backups: Path) -> None:
    pending = pending_migrations(db)
    if not pending:
        return  # nothing to write: no lock, so a reader never waits for a writer here
    full = db.full()
    if migrations.MIGRATIONS.applied(full):
        problems = _quick_check(db)
        if problems:
            raise _Damaged(problems)
        # The online backup reads through this connection, so it runs before the lock.
        _backup(db, path, backups, pending[0])
    # BEGIN IMMEDIATE takes the write lock before looking again at what is pending, so two
    # processes or threads opening a new ledger at once migrate it exactly once.
    db.execute("BEGIN IMMEDIATE")
    try:
        if migrations.MIGRATIONS.pending(full):
            migrations.MIGRATIONS.apply(full)  # each migration runs as a savepoint inside this lock
            _record_meta(db)
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def _quick_check(db: Database) -> list[str]:
    found = [str(r[0]) for r in db.execute("PRAGMA quick_check(3)").fetchall()]
    return [] if found == ["ok"] else found


def _open_failure(exc: sqlite3.Error, path: Path, backups: Path) -> LedgerError:
    mapped = ledger_error(exc, path, backups)
    if mapped is not None:
        return mapped
    return LedgerError(f"the ledger {path} could not be opened or updated ({exc}); nothing was changed.")


def ledger_error(exc: BaseException, path: Path | str, backup_dir: Path | str | None = None) -> LedgerError | None:
    """The domain error, in plain words, for a failure met while using the ledger at ``path``.

    Call it with every connection of this process to the file closed (``AppContext.ledger_error``
    does that).  Returns ``exc`` itself for a :class:`LedgerError`, and None for anything that is
    not a ledger condition (a constraint violation or API misuse is a bug, shown as such).

    * The file is not a database, or SQLite read something malformed and ``PRAGMA quick_check``
      confirms damage: the file is moved into ``backup_dir`` under a new name and
      :class:`CorruptLedgerError` says where (exit status 3 in the CLI).
    * Full disk or I/O error: :class:`LedgerFullError` with the free space; nothing was changed.
    * Locked past the busy timeout: :class:`LedgerBusyError`; nothing was changed.
    * Read-only file or folder, a file that cannot be opened, anything else: :class:`LedgerError`.
    """
    if isinstance(exc, LedgerError):
        return exc
    if not isinstance(exc, sqlite3.Error):
        return None
    path = Path(path)
    kind = damage.classify(exc)
    if kind is Failure.BUG:
        return None
    if kind is Failure.DAMAGED:
        return _moved_aside(path, _backups(path, backup_dir), [str(exc)])
    if kind is Failure.SUSPECT:
        try:
            problems = damage.integrity_problems(path)
        except sqlite3.Error as check_failed:
            return LedgerError(
                f"the ledger {path} reported damage ({exc}) and could not be checked ({check_failed}); "
                "nothing was moved. Try again when no other tokenwallet process is running."
            )
        if problems:
            return _moved_aside(path, _backups(path, backup_dir), problems)
        return LedgerError(
            f"the ledger {path} reported damage ({exc}) but its integrity check found none; nothing was moved. "
            f"Try again; if this repeats, restore a copy from {_backups(path, backup_dir)}."
        )
    if kind in (Failure.FULL, Failure.IO):
        free = damage.free_megabytes(path.parent)
        where = f"{free if free is not None else 'unknown'} MB free at {path.parent}"
        if kind is Failure.FULL or free is None or free < FULL_BELOW_MB:
            return LedgerFullError(f"the disk is full ({where}); nothing was changed. Free some space and try again.")
        return LedgerFullError(
            f"the disk could not be written ({exc}; {where}); nothing was changed. Check the disk and try again."
        )
    if kind is Failure.BUSY:
        return LedgerBusyError("another tokenwallet process is writing; try again")
    if kind is Failure.READ_ONLY:
        return LedgerError(
            f"the ledger {path} cannot be written (the file or its folder is read-only); nothing was changed. "
            "Make both writable to record changes."
        )
    if kind is Failure.CANNOT_OPEN:
        return LedgerError(
            f"the ledger {path} could not be opened ({exc}); check that its folder exists and that you may "
            "read and write it."
        )
    return LedgerError(f"the ledger {path} could not be used ({exc}); nothing was changed.")


def _backups(path: Path | str, backup_dir: Path | str | None) -> Path:
    return Path(backup_dir) if backup_dir is not None else Path(path).parent / "backups"


def _moved_aside(path: Path, backups: Path, problems: list[str]) -> CorruptLedgerError:
    found = damage.summary(problems)
    try:
        moved = damage.move_aside(path, backups)
    except OSError as exc:
        return CorruptLedgerError(
            f"the ledger {path} is damaged ({found}) and could not be moved aside ({exc.strerror or exc}); "
            "nothing was changed. Move the file away yourself, then start again to create a new empty ledger."
        )
    return CorruptLedgerError(
        f"the ledger {path} is damaged ({found}). It was moved to {moved}; nothing was deleted. "
        f"The next start creates a new, empty ledger; to keep your history instead, restore a copy from {backups}.",
        moved_to=str(moved),
    )


def open_memory_ledger() -> LedgerDatabase:
    """An in-memory ledger with the full schema; for tests and dry runs."""
    db = LedgerDatabase(sqlite3.connect(":memory:"))
    configure(db)
    migrations.MIGRATIONS.apply(db.full())
    _record_meta(db)
    return db


def _record_meta(db: Database) -> None:
    from tokenwallet import __version__

    with db.atomic():
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_written_by', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [__version__],
        )


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One atomic unit of work (nests as a savepoint)."""
    with db.atomic():
        yield db


def to_epoch(value: datetime | None) -> int | None:
    """Aware datetime to integer Unix seconds (None stays None)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
    return int(value.timestamp())


def from_epoch(value: int | None) -> datetime | None:
    """Integer Unix seconds to an aware UTC datetime (None stays None)."""
    return None if value is None else datetime.fromtimestamp(value, UTC)


def dumps(value: object) -> str:
    """Compact, key-sorted JSON for the ledger's JSON text columns."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
