"""Accounts table: the providers and agent-log folders the user has configured."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.errors import NotFoundError
from tokenwallet.ledger import audit
from tokenwallet.ledger.db import dumps, from_epoch, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database

MANUAL_ACCOUNT_ID = "manual"

_COLUMNS = "id, kind, label, base_url, key_hint, enabled, config, created_at, billed_by, subscription"


def _row_to_account(row: tuple[Any, ...]) -> Account:
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
    )


def new_account_id(kind: AccountKind) -> str:
    """A fresh id such as ``openai-3f9c2a1b``: readable in the CLI, unique across accounts."""
    return f"{kind.value}-{uuid.uuid4().hex[:8]}"


def add(db: Database, account: Account, *, at: datetime, actor: str = "user") -> Account:
    """Insert an account and audit it; the key itself is never passed here."""
    with db.atomic():
        db.execute(
            f"INSERT INTO accounts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ],
        )
        audit.append(
            db,
            at=at,
            actor=actor,
            action="account.add",
            entity="account",
            entity_id=account.id,
            details={"kind": account.kind.value, "label": account.label, "base_url": account.base_url},
        )
    return get(db, account.id)


def get(db: Database, account_id: str) -> Account:
    """The account with ``account_id`` (removed accounts are not found)."""
    row = db.execute(f"SELECT {_COLUMNS} FROM accounts WHERE id = ? AND removed_at IS NULL", [account_id]).fetchone()
    if row is None:
        raise NotFoundError(f"No account {account_id!r}. See `tokenwallet account list`.")
    return _row_to_account(row)


def list_accounts(db: Database, *, include_disabled: bool = True) -> list[Account]:
    """Accounts in creation order."""
    sql = f"SELECT {_COLUMNS} FROM accounts WHERE removed_at IS NULL"
    if not include_disabled:
        sql += " AND enabled = 1"
    return [_row_to_account(r) for r in db.execute(sql + " ORDER BY created_at, id").fetchall()]


def update(db: Database, account_id: str, *, at: datetime, actor: str = "user", **changes: Any) -> Account:
    """Change label, base_url, key_hint, enabled, config, billed_by or subscription, and audit it."""
    allowed = {"label", "base_url", "key_hint", "enabled", "config", "billed_by", "subscription"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    get(db, account_id)
    values = {
        k: (dumps(v) if k == "config" else int(v) if k in ("enabled", "subscription") else v)
        for k, v in changes.items()
    }
    with db.atomic():
        sets = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE accounts SET {sets} WHERE id = ?", [*values.values(), account_id])
        audit.append(
            db,
            at=at,
            actor=actor,
            action="account.update",
            entity="account",
            entity_id=account_id,
            details={k: v for k, v in changes.items() if k != "key_hint"},
        )
    return get(db, account_id)


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
