"""Per-account sync state: cursor, last success, last error and when the next poll is due."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.accounts import SyncState
from tokenwallet.ledger.db import dumps, from_epoch, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database

_COLUMNS = "account_id, stream, cursor, last_attempt, last_success, last_error, error_kind, failures, next_due"


def _row(row: tuple[Any, ...]) -> SyncState:
    return SyncState(
        account_id=row[0],
        stream=row[1],
        cursor=json.loads(row[2]),
        last_attempt=from_epoch(row[3]),
        last_success=from_epoch(row[4]),
        last_error=row[5],
        error_kind=row[6],
        failures=row[7],
        next_due=from_epoch(row[8]),
    )


def get(db: Database, account_id: str, stream: str = "default") -> SyncState:
    """The stored state, or a fresh one when the account was never synced."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM sync_state WHERE account_id = ? AND stream = ?", [account_id, stream]
    ).fetchone()
    return _row(row) if row else SyncState(account_id=account_id, stream=stream)


def all_states(db: Database) -> list[SyncState]:
    """Every stored state."""
    return [_row(r) for r in db.execute(f"SELECT {_COLUMNS} FROM sync_state ORDER BY account_id, stream")]


def put(db: Database, state: SyncState) -> None:
    """Insert or replace the state of (account, stream)."""
    db.execute(
        f"INSERT INTO sync_state ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(account_id, stream) DO UPDATE SET cursor = excluded.cursor, "
        "last_attempt = excluded.last_attempt, last_success = excluded.last_success, "
        "last_error = excluded.last_error, error_kind = excluded.error_kind, "
        "failures = excluded.failures, next_due = excluded.next_due",
        [
            state.account_id,
            state.stream,
            dumps(state.cursor),
            to_epoch(state.last_attempt),
            to_epoch(state.last_success),
            state.last_error,
            state.error_kind,
            state.failures,
            to_epoch(state.next_due),
        ],
    )
