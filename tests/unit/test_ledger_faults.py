"""The ledger is never lost: full disks, locks, damage, odd paths and permissions.

Only real damage (not a database, or an integrity check that finds problems) moves the file
aside; a full disk, a lock held by another process or a read-only file leave it untouched and say
so in plain words.  Full disks are made with ``PRAGMA max_page_count``, locks with a second
connection holding ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from tokenwallet.app import AppContext
from tokenwallet.cli.root import cli
from tokenwallet.domain.errors import CorruptLedgerError, LedgerBusyError, LedgerError, LedgerFullError
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.ledger import accounts, damage, usage
from tokenwallet.ledger import db as ledger_db
from tokenwallet.ledger.db import ledger_error, open_ledger
from tokenwallet.ledger.migrations import MIGRATIONS

T0 = datetime(2026, 11, 1, tzinfo=UTC)
FULL = r"the disk is full \(\d+ MB free at .+\); nothing was changed"
BUSY = "another tokenwallet process is writing; try again"


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def ledger_path(home: Path) -> Path:
    return home / "data" / "ledger.db"


def manual_row(key: str, cost: int = 1_000_000) -> UsageRecord:
    return UsageRecord(
        account_id="manual",
        source=Source.MANUAL,
        key=key,
        bucket_start=T0,
        bucket_end=T0,
        provider="p",
        model="m",
        confidence=Confidence.REPORTED,
        cost_micros=cost,
    )


def seeded_home(home: Path, rows: int = 3) -> Path:
    """A home whose ledger holds ``rows`` manual usage rows."""
    path = ledger_path(home)
    db = open_ledger(path)
    with db.atomic():
        accounts.ensure_manual(db, at=T0)
        usage.upsert(db, [manual_row(f"k{i}") for i in range(rows)], recorded_at=T0)
    db.close()
    return path


def usage_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM usage").fetchone()[0])
    finally:
        conn.close()


def backups(home: Path) -> list[Path]:
    folder = home / "data" / "backups"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def writer() -> Iterator[Any]:
    """Hold the write lock of a ledger from another connection: ``writer(path)``; released at the end."""
    held: list[sqlite3.Connection] = []

    def hold(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        held.append(conn)
        return conn

    yield hold
    for conn in held:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


def cap_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ledger connection may only use the pages its file has now: the disk is full."""
    real = ledger_db.configure

    def full(db: Database, busy_timeout_ms: int | None = None) -> Database:
        real(db, busy_timeout_ms)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return db

    monkeypatch.setattr(ledger_db, "configure", full)


# -- full disk ---------------------------------------------------------------------------------


def test_a_full_disk_is_reported_with_the_free_space_and_leaves_the_ledger_alone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    db = open_ledger(path)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError) as raised, db.atomic():
        accounts.ensure_manual(db, at=T0)
        usage.upsert(db, [manual_row(f"k{i}") for i in range(5000)], recorded_at=T0)
    db.close()
    error = ledger_error(raised.value, path, tmp_path / "backups")
    assert isinstance(error, LedgerFullError)
    assert str(error).startswith("the disk is full (")
    assert f"MB free at {tmp_path})" in str(error)
    assert path.exists() and usage_count(path) == 0
    assert not (tmp_path / "backups").exists()


def test_usage_add_on_a_full_disk_exits_1_and_records_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = seeded_home(home, rows=3)
    cap_pages(monkeypatch)
    note = "x" * 20_000  # more than the pages left
    result = run(home, "usage", "add", "--provider", "p", "--amount", "1.50", "--note", note)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the disk is full (")
    assert "nothing was changed" in result.stderr
    assert usage_count(path) == 3
    assert backups(home) == []


def test_an_io_error_while_opening_does_not_move_the_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ledger.db"
    open_ledger(path).close()
    before = path.read_bytes()

    def failing(db: Database, busy_timeout_ms: int | None = None) -> Database:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(ledger_db, "configure", failing)
    monkeypatch.setattr(damage, "free_megabytes", lambda folder: 3)
    with pytest.raises(LedgerFullError, match=FULL):
        open_ledger(path, backup_dir=tmp_path / "backups")
    assert path.read_bytes() == before
    assert not (tmp_path / "backups").exists()


def test_an_io_error_with_space_left_says_the_disk_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(damage, "free_megabytes", lambda folder: 50_000)
    error = ledger_error(sqlite3.OperationalError("disk I/O error"), tmp_path / "ledger.db")
    assert isinstance(error, LedgerFullError)
    assert str(error).startswith("the disk could not be written (disk I/O error; 50000 MB free at ")


def test_a_full_disk_during_a_migration_leaves_the_ledger_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.db"
    db = open_ledger(path)
    accounts.ensure_manual(db, at=T0)
    db.close()

    @MIGRATIONS(name="m999_test_only")
    def _grow(db) -> None:  # type: ignore[no-untyped-def]
        db.execute("CREATE TABLE test_only (x BLOB)")
        db.execute("INSERT INTO test_only SELECT randomblob(100000)")

    try:
        cap_pages(monkeypatch)
        with pytest.raises(LedgerFullError, match=FULL):
            open_ledger(path, backup_dir=tmp_path / "backups")
    finally:
        MIGRATIONS._migrations = [m for m in MIGRATIONS._migrations if m.name != "m999_test_only"]
    conn = sqlite3.connect(path)
    names = {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")}
    assert "m999_test_only" not in names
    assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (1,)
    conn.close()


# -- locks ------------------------------------------------------------------------------------


def test_opening_takes_no_lock_so_a_reader_never_waits_for_a_writer(tmp_path: Path, writer: Any) -> None:
    path = tmp_path / "ledger.db"
    db = open_ledger(path)
    accounts.ensure_manual(db, at=T0)
    db.close()
    hold = writer(path)
    hold.execute("DELETE FROM accounts")  # not committed: readers still see the account
    reader = open_ledger(path, busy_timeout_ms=0)
    assert [a.id for a in accounts.list_accounts(reader)] == ["manual"]
    reader.close()


def test_a_pending_migration_behind_a_writer_is_busy_and_changes_nothing(tmp_path: Path, writer: Any) -> None:
    path = tmp_path / "ledger.db"
    open_ledger(path).close()

    @MIGRATIONS(name="m999_test_only")
    def _extra(db) -> None:  # type: ignore[no-untyped-def]
        db.execute("CREATE TABLE test_only (x INTEGER)")

    try:
        writer(path)
        with pytest.raises(LedgerBusyError, match=BUSY):
            open_ledger(path, backup_dir=tmp_path / "backups", busy_timeout_ms=50)
    finally:
        MIGRATIONS._migrations = [m for m in MIGRATIONS._migrations if m.name != "m999_test_only"]
    assert path.exists()
    assert not list((tmp_path / "backups").glob("*corrupt*"))


def test_a_locked_ledger_not_yet_in_wal_mode_is_busy_not_corrupt(tmp_path: Path, writer: Any) -> None:
    # A ledger copied in by hand or restored from elsewhere opens in rollback-journal mode;
    # switching it to WAL needs a moment without other writers.
    path = tmp_path / "ledger.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    writer(path)
    with pytest.raises(LedgerBusyError, match=BUSY):
        open_ledger(path, backup_dir=tmp_path / "backups", busy_timeout_ms=50)
    assert path.read_bytes() == before
    assert not (tmp_path / "backups").exists()


def test_a_write_that_reads_first_waits_for_the_other_writer(tmp_path: Path, writer: Any) -> None:
    path = tmp_path / "ledger.db"
    db = open_ledger(path)
    hold = writer(path)
    hold.execute("INSERT INTO meta (key, value) VALUES ('held', '1')")
    release = threading.Timer(0.3, hold.execute, ["COMMIT"])
    release.start()
    # ensure_manual reads before it writes: a deferred transaction would fail at once here.
    with db.atomic():
        accounts.ensure_manual(db, at=T0)
        usage.upsert(db, [manual_row("k")], recorded_at=T0)
    release.join()
    assert usage_count(path) == 1
    assert db.execute("SELECT value FROM meta WHERE key = 'held'").fetchone() == ("1",)
    db.close()


def test_usage_add_during_another_write_waits_and_records(home: Path, writer: Any) -> None:
    path = seeded_home(home, rows=2)
    hold = writer(path)
    hold.execute("UPDATE usage SET cost_micros = 7 WHERE key = 'k0'")  # a poll or import mid-transaction
    release = threading.Timer(0.3, hold.execute, ["COMMIT"])
    release.start()
    result = run(home, "usage", "add", "--provider", "p", "--amount", "1")
    release.join()
    assert result.exit_code == 0, result.output
    assert usage_count(path) == 2 + 1


def test_usage_add_behind_a_writer_that_never_lets_go_exits_1_busy(
    home: Path, writer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seeded_home(home, rows=2)
    monkeypatch.setattr(ledger_db, "BUSY_TIMEOUT_MS", 50)
    writer(path)
    result = run(home, "usage", "add", "--provider", "p", "--amount", "1")
    assert result.exit_code == 1
    assert result.stderr == f"error: {BUSY}\n"
    assert path.exists() and backups(home) == []


def test_every_connection_has_the_one_busy_timeout(tmp_path: Path, app_context: AppContext) -> None:
    db = open_ledger(tmp_path / "ledger.db")
    assert db.execute("PRAGMA busy_timeout").fetchone() == (ledger_db.BUSY_TIMEOUT_MS,)
    db.close()
    assert ledger_db.open_memory_ledger().execute("PRAGMA busy_timeout").fetchone() == (ledger_db.BUSY_TIMEOUT_MS,)
    seen: list[Any] = []
    worker = threading.Thread(target=lambda: seen.append(app_context.ledger().execute("PRAGMA busy_timeout")))
    worker.start()
    worker.join()
    assert seen[0].fetchone() == (ledger_db.BUSY_TIMEOUT_MS,)
    assert app_context.ledger().execute("PRAGMA busy_timeout").fetchone() == (ledger_db.BUSY_TIMEOUT_MS,)


# -- damage -----------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_moved_aside_with_exit_3(home: Path) -> None:
    path = ledger_path(home)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database " * 400)
    result = run(home, "status")
    assert result.exit_code == 3
    moved = backups(home)
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"not a database")
    assert str(moved[0]) in result.stderr
    assert "new, empty ledger" in result.stderr
    assert run(home, "status").exit_code == 0  # a fresh ledger; the damaged copy stays where we said
    assert moved[0].exists()


def damage_later_pages(path: Path, rows: int = 3000) -> int:
    """Fill a ledger with usage rows, then overwrite its last pages (page 1 and the schema stay intact)."""
    db = open_ledger(path)
    with db.atomic():
        accounts.ensure_manual(db, at=T0)
        usage.upsert(db, [manual_row(f"key-{i:06d}", cost=i) for i in range(rows)], recorded_at=T0)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.close()
    data = bytearray(path.read_bytes())
    start = page_size * (pages - pages // 3)
    data[start:] = bytes([0xA5]) * (len(data) - start)
    path.write_bytes(bytes(data))
    return pages


def test_page_damage_found_by_a_query_moves_the_ledger_aside_with_exit_3(home: Path) -> None:
    path = ledger_path(home)
    damage_later_pages(path)
    with sqlite3.connect(path) as check:  # the first page is fine: opening alone does not notice
        assert check.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    result = run(home, "usage", "list", "--json")
    assert result.exit_code == 3, result.output
    assert "is damaged" in result.stderr and "Traceback" not in result.output
    moved = [p for p in backups(home) if p.suffix == ".db"]
    assert len(moved) == 1 and str(moved[0]) in result.stderr
    assert not path.exists()
    second = run(home, "usage", "list", "--json")
    assert second.exit_code == 0  # the next command works on a new ledger, no traceback every time


def test_the_tray_gets_the_same_answer_and_every_thread_reopens(home: Path, app_context: AppContext) -> None:
    path = ledger_path(home)
    damage_later_pages(path)
    other: list[Any] = []

    def in_worker() -> None:
        other.append(app_context.ledger())

    worker = threading.Thread(target=in_worker)
    worker.start()
    worker.join()
    with pytest.raises(sqlite3.DatabaseError) as raised:
        app_context.ledger().execute("SELECT sum(cost_micros) FROM usage").fetchone()
    error = app_context.ledger_error(raised.value)
    assert isinstance(error, CorruptLedgerError) and error.moved_to is not None
    assert Path(error.moved_to).exists()
    assert app_context.ledger().execute("SELECT count(*) FROM usage").fetchone() == (0,)
    assert app_context._ledger_generation == 1  # the worker's old connection is replaced on its next call


def test_malformed_without_damage_found_is_not_moved(tmp_path: Path) -> None:
    path = seeded_home(tmp_path)
    error = ledger_error(sqlite3.DatabaseError("database disk image is malformed"), path)
    assert type(error) is LedgerError
    assert "integrity check found none" in str(error)
    assert path.exists() and usage_count(path) == 3


def test_damage_before_a_migration_is_found_and_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    damage_later_pages(path)

    @MIGRATIONS(name="m999_test_only")
    def _extra(db) -> None:  # type: ignore[no-untyped-def]
        db.execute("CREATE TABLE test_only (x INTEGER)")

    try:
        with pytest.raises(CorruptLedgerError) as info:
            open_ledger(path, backup_dir=tmp_path / "backups")
    finally:
        MIGRATIONS._migrations = [m for m in MIGRATIONS._migrations if m.name != "m999_test_only"]
    assert not path.exists() and Path(info.value.moved_to or "").exists()
    assert not list((tmp_path / "backups").glob("*before-m999*"))  # no backup copy of a damaged file


def test_constraint_errors_are_bugs_not_ledger_conditions(tmp_path: Path) -> None:
    assert ledger_error(sqlite3.IntegrityError("UNIQUE constraint failed"), tmp_path / "ledger.db") is None
    assert ledger_error(ValueError("x"), tmp_path / "ledger.db") is None


# -- unique names -----------------------------------------------------------------------------


def test_moved_aside_files_and_backups_never_overwrite_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(damage, "stamp", lambda: "20261101T000000Z")  # all within one second
    path = tmp_path / "ledger.db"
    moved = []
    for n in range(3):
        path.write_bytes(f"garbage {n} ".encode() * 300)
        with pytest.raises(CorruptLedgerError) as info:
            open_ledger(path, backup_dir=tmp_path / "backups")
        moved.append(Path(info.value.moved_to or ""))
    assert len(set(moved)) == 3
    assert [p.read_bytes()[:9] for p in moved] == [b"garbage 0", b"garbage 1", b"garbage 2"]
    first = damage.reserve(tmp_path / "backups", "ledger-20261101T000000Z-before-m004", ".db")
    second = damage.reserve(tmp_path / "backups", "ledger-20261101T000000Z-before-m004", ".db")
    assert first != second and first.exists() and second.exists()
    assert stat.S_IMODE(second.stat().st_mode) == 0o600


# -- paths and permissions --------------------------------------------------------------------


def test_a_ledger_path_that_is_a_folder_is_a_clear_error(home: Path) -> None:
    folder = ledger_path(home)
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(folder, 0o755)
    result = run(home, "status")
    assert result.exit_code == 1
    assert "is a folder, not a file" in result.stderr and "Traceback" not in result.output
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # not chmod-ed to 0600
    assert backups(home) == []


def test_a_home_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    result = run(blocker / "home", "status")
    assert result.exit_code == 1
    assert "could not be created" in result.stderr and "Traceback" not in result.output


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not bind root")
def test_a_read_only_home_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o500)
    try:
        result = run(home, "status")
    finally:
        os.chmod(home, 0o700)
    assert result.exit_code == 1
    assert "choose a home folder you can write to" in result.stderr


def test_a_read_only_ledger_says_so_and_is_not_moved(tmp_path: Path) -> None:
    path = seeded_home(tmp_path)
    error = ledger_error(sqlite3.OperationalError("attempt to write a readonly database"), path)
    assert type(error) is LedgerError and "read-only" in str(error)
    assert path.exists()


def test_the_users_0400_stays_and_group_and_other_bits_go(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    open_ledger(path).close()
    os.chmod(path, 0o400)
    open_ledger(path, migrate=False).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    os.chmod(path, 0o644)
    open_ledger(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_symlinked_ledger_is_opened_but_its_target_is_not_chmod_ed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "ledger.db"
    target.parent.mkdir()
    open_ledger(target).close()
    os.chmod(target, 0o640)
    link = tmp_path / "data" / "ledger.db"
    link.parent.mkdir()
    link.symlink_to(target)
    db = open_ledger(link)
    accounts.ensure_manual(db, at=T0)
    db.close()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert usage_count(target) == 0 and link.is_symlink()


def test_a_dangling_symlink_is_a_clear_error_and_creates_nothing(tmp_path: Path) -> None:
    link = tmp_path / "ledger.db"
    link.symlink_to(tmp_path / "missing" / "ledger.db")
    with pytest.raises(LedgerError, match="which does not exist"):
        open_ledger(link)
    assert not (tmp_path / "missing").exists()
