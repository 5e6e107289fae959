"""The append-only audit log: every change to accounts, allowances, grants, alerts and exports."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from tokenwallet.ledger.db import dumps, from_epoch, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database


class AuditEntry(msgspec.Struct, frozen=True):
    """One line of the audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]


def append(
    db: Database,
    *,
    at: datetime,
    action: str,
    entity: str,
    entity_id: str = "",
    details: dict[str, Any] | None = None,
    actor: str = "user",
) -> None:
    """Append one entry; call inside the same transaction as the change it records."""
    db.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, details) VALUES (?, ?, ?, ?, ?, ?)",
        [to_epoch(at), actor, action, entity, entity_id, dumps(details or {})],
    )


def entries(
    db: Database, *, since: datetime | None = None, until: datetime | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """Entries in time order, optionally within ``[since, until)``."""
    sql = "SELECT id, at, actor, action, entity, entity_id, details FROM audit_log WHERE 1=1"
    params: list[Any] = []
    if since is not None:
        sql += " AND at >= ?"
        params.append(to_epoch(since))
    if until is not None:
        sql += " AND at < ?"
        params.append(to_epoch(until))
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [
        AuditEntry(row[0], from_epoch(row[1]), row[2], row[3], row[4], row[5], json.loads(row[6]))  # type: ignore[arg-type]
        for row in db.execute(sql, params).fetchall()
    ]
