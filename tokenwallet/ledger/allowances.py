"""Allowances and their explicit grants (top-ups and adjustments).

Periodic and rollover grants are derived by the budget engine from the allowance, never stored.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, RolloverPolicy, Scope, Unit
from tokenwallet.domain.errors import NotFoundError, UserInputError
from tokenwallet.ledger import audit
from tokenwallet.ledger.db import from_epoch, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database

_COLUMNS = (
    "id, name, unit, amount, cadence, anchor_day, timezone, starts_at, ends_at, scope_accounts, "
    "scope_providers, scope_models, rollover, rollover_cap, rollover_expires_days, backing_account_id, "
    "count_subscriptions, created_at"
)
_GRANT_COLUMNS = "id, allowance_id, kind, amount, granted_at, expires_at, note"


def _allowance(row: tuple[Any, ...]) -> Allowance:
    return Allowance(
        id=row[0],
        name=row[1],
        unit=Unit(row[2]),
        amount=row[3],
        cadence=Cadence(row[4]),
        anchor_day=row[5],
        timezone=row[6],
        starts_at=from_epoch(row[7]),  # type: ignore[arg-type]
        ends_at=from_epoch(row[8]),
        scope=Scope(tuple(json.loads(row[9])), tuple(json.loads(row[10])), tuple(json.loads(row[11]))),
        rollover=RolloverPolicy(cap=row[13], expires_days=row[14]) if row[12] else None,
        backing_account_id=row[15],
        count_subscriptions=bool(row[16]),
        created_at=from_epoch(row[17]),
    )


def _grant(row: tuple[Any, ...]) -> Grant:
    return Grant(
        id=row[0],
        allowance_id=row[1],
        kind=GrantKind(row[2]),
        amount=row[3],
        granted_at=from_epoch(row[4]),  # type: ignore[arg-type]
        expires_at=from_epoch(row[5]),
        note=row[6],
    )


def _describe(allowance: Allowance) -> dict[str, Any]:
    return {
        "name": allowance.name,
        "unit": allowance.unit.value,
        "amount": allowance.amount,
        "cadence": allowance.cadence.value,
        "anchor_day": allowance.anchor_day,
        "timezone": allowance.timezone,
        "starts_at": allowance.starts_at.isoformat(),
        "ends_at": allowance.ends_at.isoformat() if allowance.ends_at else None,
        "scope": {
            "accounts": list(allowance.scope.accounts),
            "providers": list(allowance.scope.providers),
            "models": list(allowance.scope.models),
        },
        "rollover": None
        if allowance.rollover is None
        else {"cap": allowance.rollover.cap, "expires_days": allowance.rollover.expires_days},
        "backing_account_id": allowance.backing_account_id,
        "count_subscriptions": allowance.count_subscriptions,
    }


def new_id() -> str:
    """A fresh allowance or grant id."""
    return uuid.uuid4().hex[:12]


def _values(allowance: Allowance, at: datetime) -> list[Any]:
    return [
        allowance.id,
        allowance.name,
        allowance.unit.value,
        allowance.amount,
        allowance.cadence.value,
        allowance.anchor_day,
        allowance.timezone,
        to_epoch(allowance.starts_at),
        to_epoch(allowance.ends_at),
        json.dumps(list(allowance.scope.accounts)),
        json.dumps(list(allowance.scope.providers)),
        json.dumps(list(allowance.scope.models)),
        int(allowance.rollover is not None),
        allowance.rollover.cap if allowance.rollover else None,
        allowance.rollover.expires_days if allowance.rollover else None,
        allowance.backing_account_id,
        int(allowance.count_subscriptions),
        to_epoch(allowance.created_at or at),
    ]


def add(
    db: Database, allowance: Allowance, *, at: datetime, actor: str = "user", details: dict[str, Any] | None = None
) -> Allowance:
    """Insert an allowance and audit it (``details`` are added to the entry); a duplicate name is a
    :class:`UserInputError`."""
    if db.execute("SELECT 1 FROM allowances WHERE name = ?", [allowance.name]).fetchone():
        raise UserInputError(f"An allowance named {allowance.name!r} already exists; choose another name.")
    with db.atomic():
        db.execute(f"INSERT INTO allowances ({_COLUMNS}) VALUES ({', '.join('?' * 18)})", _values(allowance, at))
        audit.append(
            db,
            at=at,
            actor=actor,
            action="allowance.add",
            entity="allowance",
            entity_id=allowance.id,
            details=_describe(allowance) | (details or {}),
        )
    return get(db, allowance.id)


def replace(
    db: Database, allowance: Allowance, *, at: datetime, actor: str = "user", details: dict[str, Any] | None = None
) -> Allowance:
    """Overwrite an existing allowance's definition (same id) and audit the change."""
    before = get(db, allowance.id)
    clash = db.execute("SELECT 1 FROM allowances WHERE name = ? AND id != ?", [allowance.name, allowance.id]).fetchone()
    if clash:
        raise UserInputError(f"An allowance named {allowance.name!r} already exists; choose another name.")
    columns = [c.strip() for c in _COLUMNS.split(",")]
    with db.atomic():
        db.execute(
            f"UPDATE allowances SET {', '.join(f'{c} = ?' for c in columns[1:])} WHERE id = ?",
            [*_values(allowance, at)[1:-1], to_epoch(before.created_at or at), allowance.id],
        )
        audit.append(
            db,
            at=at,
            actor=actor,
            action="allowance.update",
            entity="allowance",
            entity_id=allowance.id,
            details={"before": _describe(before), "after": _describe(allowance)} | (details or {}),
        )
    return get(db, allowance.id)


def get(db: Database, allowance_id: str) -> Allowance:
    """The allowance with this id."""
    row = db.execute(f"SELECT {_COLUMNS} FROM allowances WHERE id = ?", [allowance_id]).fetchone()
    if row is None:
        raise NotFoundError(f"No allowance with id {allowance_id!r}. See `tokenwallet allowance list`.")
    return _allowance(row)


def find(db: Database, name_or_id: str) -> Allowance:
    """The allowance with this name (or id)."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM allowances WHERE name = ? OR id = ? ORDER BY name = ? DESC LIMIT 1",
        [name_or_id, name_or_id, name_or_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"No allowance named {name_or_id!r}. See `tokenwallet allowance list`.")
    return _allowance(row)


def list_allowances(db: Database) -> list[Allowance]:
    """All allowances, by name."""
    return [_allowance(r) for r in db.execute(f"SELECT {_COLUMNS} FROM allowances ORDER BY name")]


def remove(
    db: Database, allowance_id: str, *, at: datetime, actor: str = "user", details: dict[str, Any] | None = None
) -> None:
    """Delete an allowance with its grants and alert rules; the audit log keeps its definition."""
    allowance = get(db, allowance_id)
    with db.atomic():
        db.execute("DELETE FROM allowances WHERE id = ?", [allowance_id])
        audit.append(
            db,
            at=at,
            actor=actor,
            action="allowance.remove",
            entity="allowance",
            entity_id=allowance_id,
            details=_describe(allowance) | (details or {}),
        )


def add_grant(
    db: Database, grant: Grant, *, at: datetime, actor: str = "user", details: dict[str, Any] | None = None
) -> Grant:
    """Store a top-up or adjustment and audit it."""
    if grant.kind not in (GrantKind.TOPUP, GrantKind.ADJUSTMENT):
        raise UserInputError(f"{grant.kind.value} grants are derived from the allowance and cannot be added")
    if grant.expires_at is not None and grant.expires_at <= grant.granted_at:
        raise UserInputError(
            f"The grant would expire ({grant.expires_at.isoformat()}) before it is granted "
            f"({grant.granted_at.isoformat()}); give a later expiry date."
        )
    get(db, grant.allowance_id)
    with db.atomic():
        db.execute(
            f"INSERT INTO grants ({_GRANT_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                grant.id,
                grant.allowance_id,
                grant.kind.value,
                grant.amount,
                to_epoch(grant.granted_at),
                to_epoch(grant.expires_at),
                grant.note,
                to_epoch(at),
            ],
        )
        audit.append(
            db,
            at=at,
            actor=actor,
            action=f"grant.{grant.kind.value}",
            entity="allowance",
            entity_id=grant.allowance_id,
            details={
                "grant_id": grant.id,
                "amount": grant.amount,
                "granted_at": grant.granted_at.isoformat(),
                "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
                "note": grant.note,
            }
            | (details or {}),
        )
    return grant


def grants_for(db: Database, allowance_id: str) -> list[Grant]:
    """Explicit grants of an allowance, oldest first."""
    return [
        _grant(r)
        for r in db.execute(
            f"SELECT {_GRANT_COLUMNS} FROM grants WHERE allowance_id = ? ORDER BY granted_at, id", [allowance_id]
        )
    ]
