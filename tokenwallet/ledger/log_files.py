"""Per-file import state of agent logs: which file (identity), how big, and how far it was read.

The importer reads only the bytes after ``offset``; ``device``/``inode`` and ``head_hash`` (a hash
of the file's first bytes) tell a file that grew from one that was replaced or rotated under the
same name.  ``state`` holds what a reader needs to continue mid-file (e.g. Codex running totals).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from tokenwallet.ledger.db import dumps, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database

_COLUMNS = "path, account_id, device, inode, size, offset, mtime_ns, head_hash, state, updated_at"


class LogFileState(msgspec.Struct, frozen=True):
    """How far one log file has been imported."""

    path: str
    account_id: str
    device: int = 0
    inode: int = 0
    size: int = 0
    offset: int = 0
    mtime_ns: int = 0
    head_hash: str = ""
    state: dict[str, Any] = msgspec.field(default_factory=dict)


def for_account(db: Database, account_id: str) -> dict[str, LogFileState]:
    """Every remembered file of ``account_id``, by path."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM log_files WHERE account_id = ?",
        [account_id],
    ).fetchall()
    # Most files need no reader state: skip decoding thousands of "{}" before every import.
    return {
        r[0]: LogFileState(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], {} if r[8] == "{}" else json.loads(r[8]))
        for r in rows
    }


def save(db: Database, states: list[LogFileState], *, at: datetime) -> None:
    """Insert or replace the state of each file; call in the transaction that wrote its rows."""
    stamp = to_epoch(at)
    db.conn.executemany(
        f"INSERT INTO log_files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET account_id = excluded.account_id, device = excluded.device, "
        "inode = excluded.inode, size = excluded.size, offset = excluded.offset, mtime_ns = excluded.mtime_ns, "
        "head_hash = excluded.head_hash, state = excluded.state, updated_at = excluded.updated_at",
        [
            (s.path, s.account_id, s.device, s.inode, s.size, s.offset, s.mtime_ns, s.head_hash, dumps(s.state), stamp)
            for s in states
        ],
    )


def forget(db: Database, paths: list[str]) -> int:
    """Drop the state of files that no longer exist; their imported usage stays in the ledger."""
    db.conn.executemany("DELETE FROM log_files WHERE path = ?", [(p,) for p in paths])
    return len(paths)


def known_roots(db: Database, kinds: tuple[str, ...]) -> set[str]:
    """Every log folder any account of ``kinds`` was ever given, including disabled and removed ones."""
    marks = ", ".join("?" * len(kinds))
    found: set[str] = set()
    for (config,) in db.execute(f"SELECT config FROM accounts WHERE kind IN ({marks})", list(kinds)).fetchall():
        paths = json.loads(config).get("paths", [])
        if isinstance(paths, list):
            found.update(str(p) for p in paths)
    return found


def has_local_rows(db: Database, account_id: str) -> bool:
    """True when ``account_id`` already has imported log rows (then new lines are merged with them)."""
    row = db.execute(
        "SELECT 1 FROM usage WHERE account_id = ? AND source = 'local_log' LIMIT 1", [account_id]
    ).fetchone()
    return row is not None
