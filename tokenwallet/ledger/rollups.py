"""Bulk writes to ``usage`` with the rollup triggers set aside and the rollups refreshed set-based.

The ``usage_hourly``/``usage_daily`` triggers run a rollup upsert per row, which dominates a first
import of agent logs (hundreds of thousands of rows); even a trigger whose ``WHEN`` is false
costs a sub-program call per row.  :func:`deferred_for_account` drops them inside the caller's
transaction and, on the way out, recomputes that account's rollups from ``usage`` in one
``GROUP BY`` and re-creates the triggers from their stored SQL.  DDL is transactional in SQLite,
so other connections see either the old state or the new one, never rollups out of step, and a
failure rolls the triggers back with the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tokenwallet.ledger.spend_rules import rollup_fill_sql

if TYPE_CHECKING:
    from sqlite_utils import Database

ROLLUP_TABLES: tuple[tuple[str, int], ...] = (("usage_hourly", 3600), ("usage_daily", 86400))
"""The rollup tables (made by migration m002, keyed by confidence since m005) and their bucket length in seconds."""

_TRIGGER_NAMES = tuple(f"{table}_{op}" for table, _ in ROLLUP_TABLES for op in ("insert", "delete", "update"))


def refresh_account(db: Database, account_id: str) -> None:
    """Recompute every rollup row of ``account_id`` from its ``usage`` rows."""
    for table, step in ROLLUP_TABLES:
        db.execute(f"DELETE FROM {table} WHERE account_id = ?", [account_id])
        db.execute(rollup_fill_sql(table, step, "account_id = ?"), [account_id])


@contextmanager
def deferred_for_account(db: Database, account_id: str) -> Iterator[None]:
    """Write rows of ``account_id`` only in the block; its rollups are summed once at the end.

    Must run inside an open transaction (``with db.atomic():``); the caller's rollback on an
    error undoes the dropped triggers together with the rows.
    """
    if not db.conn.in_transaction:
        raise RuntimeError("rollups.deferred_for_account needs an open transaction")
    marks = ", ".join("?" * len(_TRIGGER_NAMES))
    saved = db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'usage' AND name IN ({marks})",
        list(_TRIGGER_NAMES),
    ).fetchall()
    for name, _ in saved:
        db.execute(f"DROP TRIGGER {name}")
    yield
    refresh_account(db, account_id)
    for _, sql in saved:
        db.execute(sql)
