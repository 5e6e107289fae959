"""The ledger file: private mode, WAL, corrupt files moved aside, backups before migrations."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.errors import CorruptLedgerError
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.ledger import accounts, audit, usage
from tokenwallet.ledger import db as ledger_db
from tokenwallet.ledger.db import open_ledger
from tokenwallet.ledger.migrations import MIGRATIONS

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_new_ledger_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "ledger.db"
    db = open_ledger(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {
        "accounts",
        "usage",
        "balance_snapshots",
        "allowances",
        "grants",
        "sync_state",
        "alert_rules",
        "alert_state",
        "audit_log",
        "log_files",
    } <= set(db.table_names())
    db.close()


def test_corrupt_file_is_moved_aside_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(CorruptLedgerError) as info:
        open_ledger(path, backup_dir=tmp_path / "backups")
    moved = Path(info.value.moved_to or "")
    assert moved.exists() and moved.read_bytes().startswith(b"this is not a database")
    assert str(moved) in str(info.value)
    assert not path.exists()
    # The next open starts a fresh, empty ledger; the damaged copy is still where we said.
    open_ledger(path, backup_dir=tmp_path / "backups").close()
    assert moved.exists()


def test_backup_is_taken_before_a_pending_migration(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    db = open_ledger(path)
    accounts.ensure_manual(db, at=T0)
    db.close()

    @MIGRATIONS(name="m999_test_only")
    def _extra(db) -> None:  # type: ignore[no-untyped-def]
        db.execute("CREATE TABLE test_only (x INTEGER)")

    try:
        db = open_ledger(path, backup_dir=tmp_path / "backups")
        backups = list((tmp_path / "backups").glob("*before-m999_test_only*"))
        assert len(backups) == 1
        copy = sqlite3.connect(backups[0])
        assert copy.execute("SELECT count(*) FROM accounts").fetchone()[0] == 1
        assert "test_only" in db.table_names()
        copy.close()
        db.close()
    finally:
        MIGRATIONS._migrations = [m for m in MIGRATIONS._migrations if m.name != "m999_test_only"]


def _record(key: str, tokens: int, cost: int | None = None) -> UsageRecord:
    return UsageRecord(
        account_id="openai-1",
        source=Source.API_USAGE,
        key=key,
        bucket_start=T0,
        bucket_end=T0 + timedelta(days=1),
        provider="openai",
        model="gpt-5",
        confidence=Confidence.REPORTED,
        input_tokens=tokens,
        cost_micros=cost,
    )


def test_upsert_replaces_a_filling_bucket_instead_of_adding(db) -> None:  # type: ignore[no-untyped-def]
    accounts.add(db, Account(id="openai-1", kind=AccountKind.OPENAI, label="work"), at=T0)
    with db.atomic():
        usage.upsert(db, [_record("2026-11-01|gpt-5", 100)], recorded_at=T0)
    for tokens in (150, 200, 200):
        with db.atomic():
            usage.upsert(db, [_record("2026-11-01|gpt-5", tokens)], recorded_at=T0)
    rows = usage.list_records(db)
    assert len(rows) == 1
    assert rows[0].input_tokens == 200


def test_insert_rows_binds_many_rows_per_statement_and_applies_the_conflict_clause(
    db,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(ledger_db, "ROWS_PER_STATEMENT", 3)
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    rows = [(k % 5, k) for k in range(8)]  # keys 0-2 come twice: the later value must win
    ledger_db.insert_rows(db, "INSERT INTO t (k, v)", rows, "ON CONFLICT (k) DO UPDATE SET v = excluded.v")
    db.conn.set_trace_callback(None)
    assert db.execute("SELECT k, v FROM t ORDER BY k").fetchall() == [(0, 5), (1, 6), (2, 7), (3, 3), (4, 4)]
    assert len([s for s in statements if s.startswith("INSERT")]) == 3  # 3 + 3 + the remaining 2 rows
    ledger_db.insert_rows(db, "INSERT INTO t (k, v)", [])  # nothing to write is not an error


def test_failed_batch_leaves_nothing_half_written(db) -> None:  # type: ignore[no-untyped-def]
    accounts.add(db, Account(id="openai-1", kind=AccountKind.OPENAI, label="work"), at=T0)
    bad = _record("b", 1).replace(account_id="no-such-account")
    with pytest.raises(sqlite3.IntegrityError), db.atomic():
        usage.upsert(db, [_record("a", 1), bad], recorded_at=T0)
    assert usage.count(db) == 0


def test_audit_log_is_append_only(db) -> None:  # type: ignore[no-untyped-def]
    audit.append(db, at=T0, action="test", entity="x")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET action = 'changed'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log")
    assert [e.action for e in audit.entries(db)] == ["test"]


def test_concurrent_first_opens_migrate_once(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "ledger.db"
    errors: list[BaseException] = []

    def open_once() -> None:
        try:
            open_ledger(path).close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db = open_ledger(path)
    names = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations").fetchall()]
    assert len(names) == len(set(names))
    db.close()
