"""Balance, limit and plan-window snapshots."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
from tokenwallet.ledger.db import dumps, from_epoch, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database

_COLUMNS = (
    "account_id, kind, name, observed_at, currency, spent_micros, limit_micros, remaining_micros, "
    "soft_limit_micros, used_percent, window_minutes, period, resets_at, expires_at, extra"
)


def record(db: Database, snapshots: Iterable[BalanceSnapshot]) -> int:
    """Store snapshots; the same (account, kind, name, observed_at) is replaced, not duplicated."""
    rows = [
        (
            s.account_id,
            s.kind.value,
            s.name,
            to_epoch(s.observed_at),
            s.currency,
            s.spent_micros,
            s.limit_micros,
            s.remaining_micros,
            s.soft_limit_micros,
            s.used_percent,
            s.window_minutes,
            s.period,
            to_epoch(s.resets_at),
            to_epoch(s.expires_at),
            dumps(s.extra),
        )
        for s in snapshots
    ]
    placeholders = ", ".join("?" * 15)
    updates = ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in _COLUMNS.split(",")[4:])
    db.conn.executemany(
        f"INSERT INTO balance_snapshots ({_COLUMNS}) VALUES ({placeholders}) "
        f"ON CONFLICT(account_id, kind, name, observed_at) DO UPDATE SET {updates}",
        rows,
    )
    return len(rows)


def _row(row: tuple[Any, ...]) -> BalanceSnapshot:
    return BalanceSnapshot(
        account_id=row[0],
        kind=SnapshotKind(row[1]),
        name=row[2],
        observed_at=from_epoch(row[3]),  # type: ignore[arg-type]
        currency=row[4],
        spent_micros=row[5],
        limit_micros=row[6],
        remaining_micros=row[7],
        soft_limit_micros=row[8],
        used_percent=row[9],
        window_minutes=row[10],
        period=row[11],
        resets_at=from_epoch(row[12]),
        expires_at=from_epoch(row[13]),
        extra=json.loads(row[14]),
    )


def latest(db: Database, account_id: str | None = None) -> list[BalanceSnapshot]:
    """The newest snapshot of every (account, kind, name), optionally for one account."""
    where = "WHERE s.account_id = ?" if account_id else ""
    params = [account_id] if account_id else []
    sql = f"""
        SELECT {", ".join("s." + c.strip() for c in _COLUMNS.split(","))}
        FROM balance_snapshots s
        JOIN (SELECT account_id, kind, name, MAX(observed_at) AS observed_at
              FROM balance_snapshots GROUP BY account_id, kind, name) newest
          USING (account_id, kind, name, observed_at)
        {where}
        ORDER BY s.account_id, s.kind, s.name
    """
    return [_row(r) for r in db.execute(sql, params).fetchall()]
