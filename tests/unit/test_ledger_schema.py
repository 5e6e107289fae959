"""The ledger's schema and history: snapshot, frozen migrations, upgrades of old ledgers, stored hashes.

The schema snapshot and the fixture ledgers live in ``tests/fixtures/ledgers/``.  After adding a
migration, regenerate them with::

    python tests/fixtures/ledgers/make_fixtures.py

and review the diff: ``schema.sql`` shows the new schema, and a new ``after_<migration>.sql``
appears (add that era's rows to ``make_fixtures.py``).  The files of earlier migrations must not
change; if they do, a released migration was edited.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tokenwallet.ledger import log_entries, rollups, spend_rules
from tokenwallet.ledger.db import open_ledger
from tokenwallet.ledger.migrations import STEPS, m003_log_entries

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ledgers"
MIGRATIONS_DIR = Path(__file__).parents[2] / "tokenwallet" / "ledger" / "migrations"


def _make_fixtures() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = _make_fixtures()


def _normal(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return [(kind, name, _normal(sql)) for kind, name, sql in MAKE.schema_rows(conn)]


def _committed_schema() -> list[str]:
    text = (FIXTURES / "schema.sql").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return [_normal(s) for s in _statements(body)]


def _statements(sql: str) -> list[str]:
    out, current = [], ""
    for part in sql.split(";"):
        current += part + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                out.append(current.strip().rstrip(";"))
            current = ""
    return out


def test_a_new_ledger_has_the_committed_schema(tmp_path: Path) -> None:
    db = open_ledger(tmp_path / "ledger.db")
    assert [sql for _, _, sql in _schema(db.conn)] == _committed_schema()
    db.close()


def test_the_fixtures_are_what_the_frozen_migrations_build() -> None:
    built = MAKE.build()
    assert sorted(built) == sorted(p.name for p in FIXTURES.glob("*.sql"))
    for name, text in built.items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == text, f"{name} differs: was a migration edited?"


def _rows(conn: sqlite3.Connection, table: str, columns: list[str] | None = None) -> list[tuple[Any, ...]]:
    names = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    return sorted(conn.execute(f"SELECT {names} FROM {table}").fetchall(), key=repr)


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info('{table}')")]


UNCHANGED = (
    "meta",
    "accounts",
    "balance_snapshots",
    "allowances",
    "grants",
    "sync_state",
    "log_files",
    "alert_rules",
    "alert_state",
    "alert_events",
    "audit_log",
)


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("after_*.sql")))
def test_a_ledger_of_each_released_schema_upgrades_and_keeps_its_data(tmp_path: Path, fixture: str) -> None:
    path = tmp_path / "ledger.db"
    MAKE.load((FIXTURES / fixture).read_text(encoding="utf-8"), path)
    old = sqlite3.connect(path)
    applied = [r[0] for r in old.execute("SELECT name FROM _sqlite_migrations")]
    # Later migrations add columns (with defaults) to some tables: the columns that were there keep their data.
    old_columns = {t: _columns(old, t) for t in UNCHANGED}
    before = {t: _rows(old, t) for t in UNCHANGED}
    old_usage = old.execute("SELECT * FROM usage ORDER BY id").fetchall()
    has_entries = "log_entries" in {r[0] for r in old.execute("SELECT name FROM sqlite_master")}
    old_entries = _rows(old, "log_entries") if has_entries else []
    old.close()

    db = open_ledger(path, backup_dir=tmp_path / "backups")
    conn = db.conn
    assert [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")] == [n for n, _ in STEPS]
    assert [sql for _, _, sql in _schema(conn)] == _committed_schema()
    assert {t: _rows(conn, t, old_columns[t]) for t in UNCHANGED} == before
    backups = list((tmp_path / "backups").glob("*.db"))
    assert len(backups) == (1 if len(applied) < len(STEPS) else 0)

    # Before m003 every Claude Code row was one request; all other rows keep their ids and columns.
    per_request = (
        [r for r in old_usage if r[1] == "claude-code-1" and r[2] == "local_log"]
        if "m003_log_entries" not in applied
        else []
    )
    kept = [r for r in old_usage if r not in per_request]
    now_usage = conn.execute("SELECT * FROM usage ORDER BY id").fetchall()
    assert [r for r in now_usage if r[0] in {k[0] for k in kept}] == kept

    # Per-request rows became one entry each, keyed by the hashes of their ids.
    entries = _rows(conn, "log_entries")
    assert len(entries) == len(old_entries) + len(per_request)
    hashes = {(e[1], e[2]) for e in entries}
    for r in per_request:
        mid, _, rid = r[3].partition("/")
        line = r[3].startswith("line:")
        assert (
            (log_entries.key_hash(r[3]), 0) if line else (log_entries.key_hash(mid), log_entries.request_hash(rid))
        ) in hashes

    # Quarter-hour buckets carry the same tokens and money; a bucket of an unpriced model stays unpriced.
    def totals(rows: list[tuple[Any, ...]]) -> tuple[int, int]:
        return sum(r[9] + r[10] + r[11] + r[12] for r in rows), sum(r[15] or 0 for r in rows)

    claude_after = [r for r in now_usage if r[1] == "claude-code-1"]
    assert totals(claude_after) == totals([r for r in old_usage if r[1] == "claude-code-1"])
    assert sum(r[14] for r in claude_after) == len(entries)  # one request per entry
    unpriced_buckets = {(r[4] - r[4] % 900, r[7], r[17]) for r in per_request if r[15] is None}
    unpriced_kept = [r for r in kept if r[1] == "claude-code-1" and r[15] is None]
    assert len([r for r in claude_after if r[15] is None]) == len(unpriced_buckets) + len(unpriced_kept)
    assert totals([r for r in now_usage if r[1] != "claude-code-1"]) == totals(
        [r for r in old_usage if r[1] != "claude-code-1"]
    )

    # The rollups equal a fresh sum under today's spend rules.
    for table, step in rollups.ROLLUP_TABLES:
        stored = _rows(conn, table)
        conn.execute(f"CREATE TEMP TABLE fresh AS SELECT * FROM {table} WHERE 0")
        conn.execute(spend_rules.rollup_fill_sql("temp.fresh", step))
        assert stored == _rows(conn, "temp.fresh"), table
        conn.execute("DROP TABLE temp.fresh")
    db.close()


def test_the_rollup_triggers_agree_with_todays_spend_rules(db: Any) -> None:
    db.execute(
        "INSERT INTO accounts (id, kind, label, created_at) VALUES ('a', 'openai', 'a', 0), ('b', 'manual', 'b', 0)"
    )
    insert = (
        "INSERT INTO usage (account_id, source, key, bucket_start, bucket_end, provider, model, confidence, "
        "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, cost_micros, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 'm', ?, ?, ?, ?, ?, ?, 0)"
    )
    kinds = [
        ("a", "api_usage", "reported", None),
        ("a", "api_cost", "billed", 700),
        ("b", "manual", "estimated", None),
        ("b", "manual", "reported", 90),
        ("b", "local_log", "estimated", None),
        ("a", "balance", "gateway", 40),
        ("b", "local_log", "subscription", 11),
    ]
    with db.atomic():
        for i in range(70):
            account, source, confidence, cost = kinds[i % len(kinds)]
            at = 1_793_491_200 + i * 1900
            tokens = (i % 4) * 10
            end = at + (86_400 if i % 3 == 0 else 0)  # day buckets are rolled up apart
            db.execute(insert, [account, source, f"k{i}", at, end, "p", confidence, tokens, i, 0, 3, cost])
        db.execute("UPDATE usage SET cost_micros = 5 WHERE key IN ('k2', 'k7')")
        db.execute("DELETE FROM usage WHERE key IN ('k3', 'k4', 'k20')")
    for table, step in rollups.ROLLUP_TABLES:
        kept = _rows(db.conn, table)
        db.execute(f"CREATE TEMP TABLE fresh AS SELECT * FROM {table} WHERE 0")
        db.execute(spend_rules.rollup_fill_sql("temp.fresh", step))
        fresh = _rows(db.conn, "temp.fresh")
        db.execute("DROP TABLE temp.fresh")
        # Triggers leave buckets whose rows were all removed at zero; a fresh sum has no such rows.
        assert [r for r in kept if r[-1] != 0] == fresh, table


def test_stored_hashes_keep_their_values() -> None:
    # Entries in every ledger are keyed by these values: a change would duplicate every request
    # on the next import.  The expected numbers were written down when the hashes were chosen.
    message = "msg_01XFDUDYJgAACzvnptvVoYEL"
    line = "line:12:7f3c2a9e-5b1d-4c8e-9a0f-2d6e8b4c1a7f:2026-11-03T10:00:00+00:00"
    request = "req_011CUQ5jPq8ZrHJmVx3hXyzA"
    for key_hash, request_hash in (
        (log_entries.key_hash, log_entries.request_hash),
        (m003_log_entries.key_hash, m003_log_entries.request_hash),
    ):
        assert key_hash(message) == 7221942326733310190
        assert key_hash(line) == -4491773199416019169
        assert key_hash("") == -1970711489451281740
        assert request_hash(request) == 1846850224
        assert request_hash("") == 0


def test_migrations_import_nothing_of_tokenwallet_outside_their_package() -> None:
    for path in sorted(MIGRATIONS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: use absolute imports"
                names = [node.module or ""]
            for name in names:
                if name.startswith("tokenwallet"):
                    assert name.startswith("tokenwallet.ledger.migrations"), f"{path.name} imports {name}"


def test_m008_numbers_each_account_with_entries_and_keeps_every_entry(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from tokenwallet.ledger.migrations import MIGRATIONS

    db = Database(sqlite3.connect(tmp_path / "ledger.db"))
    MIGRATIONS.apply(db, stop_before="m008_log_entry_accounts")
    db.execute(
        "INSERT INTO accounts (id, kind, label, created_at) VALUES ('cc-b', 'claude-code', 'b', 0), "
        "('cc-a', 'claude-code', 'a', 0), ('cc-none', 'claude-code', 'none', 0)"
    )
    columns = ", ".join(log_entries.COLUMNS)
    # The same message in both accounts (two folders read by two accounts), and rows out of key order.
    rows = [
        ("cc-b", 7, 1, 1_763_000_100, "claude-sonnet-4-6", "/p", 10, 5, 40, 0, 7, 1234, 0),
        ("cc-a", 7, 1, 1_763_000_100, "claude-sonnet-4-6", "/p", 10, 5, 40, 0, 7, 1234, 0),
        ("cc-a", -3, 0, 1_763_000_200, "claude-imaginary", "", 1, 0, 0, 0, 2, None, 1),
    ]
    db.conn.executemany(f"INSERT INTO log_entries ({columns}) VALUES ({', '.join('?' * 13)})", rows)
    db.conn.commit()

    MIGRATIONS.apply(db)

    numbers = dict(db.execute("SELECT account_id, id FROM log_accounts").fetchall())
    assert sorted(numbers) == ["cc-a", "cc-b"]  # an account without entries needs no number
    assert len(set(numbers.values())) == 2
    stored = db.execute(
        f"SELECT a.account_id, {', '.join(log_entries.COLUMNS[1:])} FROM log_entries e "
        "JOIN log_accounts a ON a.id = e.account ORDER BY e.rowid"
    ).fetchall()
    assert stored == rows
    with pytest.raises(sqlite3.IntegrityError):  # the key is still unique per account
        db.execute(
            "INSERT INTO log_entries (account, entry_hash, request_hash, at, model) VALUES (?, 7, 1, 0, 'm')",
            [numbers["cc-a"]],
        )
    for account_id in ("cc-a", "cc-b", "cc-none"):  # what the importer reads back, by account id
        expected = {r[1]: [r] for r in rows if r[0] == account_id and r[1] in (7, -3)}
        assert log_entries.for_entries(db, account_id, [7, -3, 99]) == expected
