"""Accounts table: the providers and agent-log folders the user has configured.

An account's filters (its own api keys, projects, workspaces and logins in an organization) are
rows of ``account_filters``; its key is never stored, only its last characters and a keyed hash
(``key_fingerprint``) whose hash key is a random value kept in ``meta``.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.accounts import Account, AccountFilters, AccountKind
from tokenwallet.domain.errors import NotFoundError
from tokenwallet.ledger import audit
from tokenwallet.ledger.db import dumps, from_epoch, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database

MANUAL_ACCOUNT_ID = "manual"

_COLUMNS = "id, kind, label, base_url, key_hint, enabled, config, created_at, billed_by, subscription, key_fingerprint"
_FINGERPRINT_KEY = "key_fingerprint_key"


def _row_to_account(row: tuple[Any, ...], filters: AccountFilters | None = None) -> Account:
    return Account(
        id=row[0],
        kind=AccountKind(row[1]),
        label=row[2],
        base_url=row[3],
        key_hint=row[4],
        enabled=bool(row[5]),
        config=json.loads(row[6]),
        created_at=from_epoch(row[7]),
        billed_by=row[8],
        subscription=bool(row[9]),
        key_fingerprint=row[10],
        filters=filters or AccountFilters(),
    )


def _filters_of(db: Database, account_ids: list[str]) -> dict[str, AccountFilters]:
    """The filters of each account in ``account_ids`` (accounts without any are left out)."""
    if not account_ids:
        return {}
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    marks = ", ".join("?" * len(account_ids))
    for account_id, dimension, value in db.execute(
        f"SELECT account_id, dimension, value FROM account_filters WHERE account_id IN ({marks}) "
        "ORDER BY account_id, dimension, value",
        account_ids,
    ).fetchall():
        pairs[account_id].append((dimension, value))
    return {k: AccountFilters.from_pairs(v) for k, v in pairs.items()}


def _write_filters(db: Database, account_id: str, filters: AccountFilters) -> None:
    db.execute("DELETE FROM account_filters WHERE account_id = ?", [account_id])
    rows = [(account_id, dimension, value) for dimension, value in filters.pairs()]
    if rows:
        db.conn.executemany("INSERT INTO account_filters (account_id, dimension, value) VALUES (?, ?, ?)", rows)


def fingerprint_key(db: Database) -> bytes:
    """The random hash key of key fingerprints, made on first use (it never leaves the ledger)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [_FINGERPRINT_KEY]).fetchone()
    if row is not None:
        return bytes.fromhex(row[0])
    import secrets  # made once per ledger: not worth loading on every command

    made = secrets.token_hex(32)
    with db.atomic():
        db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", [_FINGERPRINT_KEY, made])
    return bytes.fromhex(db.execute("SELECT value FROM meta WHERE key = ?", [_FINGERPRINT_KEY]).fetchone()[0])


def new_account_id(kind: AccountKind) -> str:
    """A fresh id such as ``openai-3f9c2a1b``: readable in the CLI, unique across accounts."""
    return f"{kind.value}-{uuid.uuid4().hex[:8]}"


def add(db: Database, account: Account, *, at: datetime, actor: str = "user") -> Account:
    """Insert an account and audit it; the key itself is never passed here."""
    with db.atomic():
        db.execute(
            f"INSERT INTO accounts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                account.id,
                account.kind.value,
                account.label,
                account.base_url,
                account.key_hint,
                int(account.enabled),
                dumps(account.config),
                to_epoch(account.created_at or at),
                account.billed_by,
                int(account.subscription),
                account.key_fingerprint,
            ],
        )
        _write_filters(db, account.id, account.filters)
        details: dict[str, object] = {"kind": account.kind.value, "label": account.label, "base_url": account.base_url}
        if account.filters:
            details["filters"] = [list(pair) for pair in account.filters.pairs()]
        audit.append(
            db,
            at=at,
            actor=actor,
            action="account.add",
            entity="account",
            entity_id=account.id,
            details=details,
        )
    return get(db, account.id)


def get(db: Database, account_id: str) -> Account:
    """The account with ``account_id`` (removed accounts are not found)."""
    row = db.execute(f"SELECT {_COLUMNS} FROM accounts WHERE id = ? AND removed_at IS NULL", [account_id]).fetchone()
    if row is None:
        raise NotFoundError(f"No account {account_id!r}. See `tokenwallet account list`.")
    return _row_to_account(row, _filters_of(db, [account_id]).get(account_id))


def list_accounts(db: Database, *, include_disabled: bool = True) -> list[Account]:
    """Accounts in creation order."""
    sql = f"SELECT {_COLUMNS} FROM accounts WHERE removed_at IS NULL"
    if not include_disabled:
        sql += " AND enabled = 1"
    rows = db.execute(sql + " ORDER BY created_at, id").fetchall()
    filters = _filters_of(db, [r[0] for r in rows])
    return [_row_to_account(r, filters.get(r[0])) for r in rows]


def update(db: Database, account_id: str, *, at: datetime, actor: str = "user", **changes: Any) -> Account:
    """Change label, base_url, key_hint, key_fingerprint, enabled, config, billed_by, subscription or
    filters (an :class:`AccountFilters`), and audit it (never the key hint or fingerprint)."""
    allowed = {
        "label",
        "base_url",
        "key_hint",
        "key_fingerprint",
        "enabled",
        "config",
        "billed_by",
        "subscription",
        "filters",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    get(db, account_id)
    filters = changes.pop("filters", None)
    values = {
        k: (dumps(v) if k == "config" else int(v) if k in ("enabled", "subscription") else v)
        for k, v in changes.items()
    }
    details: dict[str, Any] = {k: v for k, v in changes.items() if k not in ("key_hint", "key_fingerprint")}
    with db.atomic():
        if values:
            sets = ", ".join(f"{k} = ?" for k in values)
            db.execute(f"UPDATE accounts SET {sets} WHERE id = ?", [*values.values(), account_id])
        if filters is not None:
            _write_filters(db, account_id, filters)
            details["filters"] = [list(pair) for pair in filters.pairs()]
        audit.append(
            db,
            at=at,
            actor=actor,
            action="account.update",
            entity="account",
            entity_id=account_id,
            details=details,
        )
    return get(db, account_id)


def record_fingerprint(db: Database, account_id: str, fingerprint: str) -> None:
    """Store the key fingerprint of an account added before fingerprints were kept (not audited: no user change)."""
    with db.atomic():
        db.execute(
            "UPDATE accounts SET key_fingerprint = ? WHERE id = ? AND key_fingerprint = ''", [fingerprint, account_id]
        )


def remove(db: Database, account_id: str, *, at: datetime, actor: str = "user") -> None:
    """Mark the account removed; its recorded usage stays in the ledger for reports."""
    get(db, account_id)
    with db.atomic():
        db.execute("UPDATE accounts SET removed_at = ?, enabled = 0 WHERE id = ?", [to_epoch(at), account_id])
        audit.append(db, at=at, actor=actor, action="account.remove", entity="account", entity_id=account_id)


def ensure_manual(db: Database, *, at: datetime) -> Account:
    """The built-in account that holds manually entered spend."""
    row = db.execute("SELECT 1 FROM accounts WHERE id = ?", [MANUAL_ACCOUNT_ID]).fetchone()
    if row is None:
        return add(
            db,
            Account(id=MANUAL_ACCOUNT_ID, kind=AccountKind.MANUAL, label="Manual entries"),
            at=at,
            actor="system",
        )
    return get(db, MANUAL_ACCOUNT_ID)
