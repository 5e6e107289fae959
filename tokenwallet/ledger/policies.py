"""Employer policies in the ledger: imported revisions, the allowances and grants they created.

Tables of migration m004: ``policies`` (one row per imported revision, with its normalised
document), ``policy_allowances`` (which allowances a policy created and which of their fields it
owns) and ``policy_grants`` (the top-ups and vesting instalments it created, by a key stable
across revisions).  Every change is audited in its own transaction with the caller's details
(a policy import passes its policy id and revision).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from tokenwallet.domain.allowance import Grant
from tokenwallet.domain.errors import UserInputError
from tokenwallet.ledger import allowances, audit
from tokenwallet.ledger.db import dumps, from_epoch, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.policy.off_policy import OffPolicySpend, RouteSpend

log = logging.getLogger(__name__)
_TOKENS = "(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens)"
_TOKEN_SOURCES = "('api_usage','local_log','manual')"
REGION_KEY = "inference_geo"
"""The key of a usage row's ``extra`` that holds where the provider processed it (Anthropic's name)."""


class StoredPolicy(msgspec.Struct, frozen=True):
    """One imported revision: its normalised ``document`` (JSON values, decimals exact)."""

    policy_id: str
    revision: int
    employer: str
    effective: date
    document: dict[str, Any]
    digest: str
    source: str
    imported_at: datetime


class PolicyLink(msgspec.Struct, frozen=True):
    """An allowance created by a policy: its name there, the fields the policy owns, and whether
    a later revision dropped it (``retired_revision``)."""

    allowance_id: str
    policy_id: str
    revision: int
    name: str
    owned: tuple[str, ...]
    retired_revision: int | None = None


_POLICY_COLUMNS = "policy_id, revision, employer, effective, document, digest, source, imported_at"
_LINK_COLUMNS = "allowance_id, policy_id, revision, name, owned, retired_revision"


def _policy(row: Sequence[Any]) -> StoredPolicy:
    return StoredPolicy(
        policy_id=row[0],
        revision=row[1],
        employer=row[2],
        effective=date.fromisoformat(row[3]),
        document=json.loads(row[4], parse_float=Decimal),
        digest=row[5],
        source=row[6],
        imported_at=from_epoch(row[7]),  # type: ignore[arg-type]
    )


def _link(row: Sequence[Any]) -> PolicyLink:
    return PolicyLink(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5])


def save_policy(db: Database, policy: StoredPolicy, document_text: str) -> None:
    """Record an imported revision (``document_text`` is its exact JSON); the caller audits the import."""
    with db.atomic():
        db.execute(
            f"INSERT INTO policies ({_POLICY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                policy.policy_id,
                policy.revision,
                policy.employer,
                policy.effective.isoformat(),
                document_text,
                policy.digest,
                policy.source,
                to_epoch(policy.imported_at),
            ],
        )


def latest(db: Database, policy_id: str) -> StoredPolicy | None:
    """The newest imported revision of ``policy_id``."""
    row = db.execute(
        f"SELECT {_POLICY_COLUMNS} FROM policies WHERE policy_id = ? ORDER BY revision DESC LIMIT 1", [policy_id]
    ).fetchone()
    return _policy(row) if row else None


def revision(db: Database, policy_id: str, number: int) -> StoredPolicy | None:
    """Revision ``number`` of ``policy_id``, if it was imported."""
    row = db.execute(
        f"SELECT {_POLICY_COLUMNS} FROM policies WHERE policy_id = ? AND revision = ?", [policy_id, number]
    ).fetchone()
    return _policy(row) if row else None


def active(db: Database) -> list[StoredPolicy]:
    """The newest revision of every imported policy, by policy id."""
    rows = db.execute(
        f"SELECT {_POLICY_COLUMNS} FROM policies p WHERE revision = "
        "(SELECT MAX(revision) FROM policies q WHERE q.policy_id = p.policy_id) ORDER BY policy_id"
    ).fetchall()
    return [_policy(r) for r in rows]


def link(db: Database, item: PolicyLink) -> None:
    """Mark an allowance as created by a policy (or update the mark); the caller audits the change."""
    db.execute(
        f"INSERT INTO policy_allowances ({_LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (allowance_id) DO UPDATE SET policy_id = excluded.policy_id, revision = excluded.revision, "
        "name = excluded.name, owned = excluded.owned, retired_revision = excluded.retired_revision",
        [item.allowance_id, item.policy_id, item.revision, item.name, dumps(list(item.owned)), item.retired_revision],
    )


def links(db: Database, policy_id: str | None = None) -> list[PolicyLink]:
    """Every allowance created by a policy (or by ``policy_id``), by name."""
    where, params = ("WHERE policy_id = ?", [policy_id]) if policy_id else ("", [])
    rows = db.execute(f"SELECT {_LINK_COLUMNS} FROM policy_allowances {where} ORDER BY name", params).fetchall()
    return [_link(r) for r in rows]


def link_for(db: Database, allowance_id: str) -> PolicyLink | None:
    """The policy mark of an allowance, if a policy created it."""
    row = db.execute(f"SELECT {_LINK_COLUMNS} FROM policy_allowances WHERE allowance_id = ?", [allowance_id]).fetchone()
    return _link(row) if row else None


def grants_by_key(db: Database, allowance_id: str) -> dict[str, Grant]:
    """The grants a policy created for an allowance, by their key (``topup:...``, ``vesting:N``)."""
    keys = dict(db.execute("SELECT grant_id, key FROM policy_grants WHERE allowance_id = ?", [allowance_id]).fetchall())
    return {keys[g.id]: g for g in allowances.grants_for(db, allowance_id) if g.id in keys}


def add_grant(db: Database, grant: Grant, key: str, *, at: datetime, actor: str, details: dict[str, Any]) -> Grant:
    """Store a grant created by a policy under ``key`` (audited as ``grant.topup``)."""
    with db.atomic():
        stored = allowances.add_grant(db, grant, at=at, actor=actor, details={"policy_key": key, **details})
        db.execute(
            "INSERT INTO policy_grants (grant_id, allowance_id, key) VALUES (?, ?, ?)",
            [grant.id, grant.allowance_id, key],
        )
    return stored


def _grant_details(grant: Grant) -> dict[str, Any]:
    return {
        "amount": grant.amount,
        "granted_at": grant.granted_at.isoformat(),
        "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
        "note": grant.note,
    }


def update_grant(
    db: Database, before: Grant, after: Grant, *, at: datetime, actor: str, details: dict[str, Any]
) -> None:
    """Change the amount, dates or note of a stored grant (same id); audited as ``grant.update``."""
    with db.atomic():
        db.execute(
            "UPDATE grants SET amount = ?, granted_at = ?, expires_at = ?, note = ? WHERE id = ?",
            [after.amount, to_epoch(after.granted_at), to_epoch(after.expires_at), after.note, before.id],
        )
        audit.append(
            db,
            at=at,
            actor=actor,
            action="grant.update",
            entity="allowance",
            entity_id=before.allowance_id,
            details={
                "grant_id": before.id,
                "before": _grant_details(before),
                "after": _grant_details(after),
                **details,
            },
        )


def remove_grant(db: Database, grant: Grant, *, at: datetime, actor: str, details: dict[str, Any]) -> None:
    """Delete a stored grant; audited as ``grant.remove`` with what it was."""
    with db.atomic():
        db.execute("DELETE FROM grants WHERE id = ?", [grant.id])
        audit.append(
            db,
            at=at,
            actor=actor,
            action="grant.remove",
            entity="allowance",
            entity_id=grant.allowance_id,
            details={"grant_id": grant.id, **_grant_details(grant), **details},
        )


def covered_accounts(db: Database, policy_id: str) -> tuple[str, ...]:
    """The accounts whose usage the policy's allowances count: their scopes, or every live account."""
    ids = [item.allowance_id for item in links(db, policy_id) if item.retired_revision is None]
    scoped: set[str] = set()
    for allowance_id in ids:
        accounts = allowances.get(db, allowance_id).scope.accounts
        if not accounts:
            rows = db.execute("SELECT id FROM accounts WHERE enabled = 1 AND removed_at IS NULL").fetchall()
            return tuple(sorted(r[0] for r in rows))
        scoped.update(accounts)
    return tuple(sorted(scoped))


def routes(db: Database, accounts: Sequence[str], since: datetime, until: datetime) -> list[RouteSpend]:
    """Usage of ``accounts`` in ``[since, until)`` summed per provider, model and region.

    The region is ``extra.inference_geo`` where a connector kept it, else ``""``.
    """
    if not accounts:
        return []
    from tokenwallet.policy.off_policy import RouteSpend  # the policy model loads with the first policy

    region = f"CASE WHEN json_valid(extra) THEN COALESCE(json_extract(extra, '$.{REGION_KEY}'), '') ELSE '' END"
    rows = db.execute(
        f"""
        SELECT provider, model, {region} AS region,
               COALESCE(SUM(cost_micros), 0),
               COALESCE(SUM(CASE WHEN source IN {_TOKEN_SOURCES} THEN {_TOKENS} ELSE 0 END), 0),
               COUNT(*), MIN(bucket_start), MAX(bucket_start)
        FROM usage
        WHERE account_id IN ({", ".join("?" * len(accounts))}) AND bucket_start >= ? AND bucket_start < ?
        GROUP BY provider, model, region
        """,
        [*accounts, to_epoch(since), to_epoch(until)],
    ).fetchall()
    return [
        RouteSpend(p, m, str(r), cost, tokens, n, from_epoch(first), from_epoch(last))  # type: ignore[arg-type]
        for p, m, r, cost, tokens, n, first, last in rows
    ]


def off_policy_spend(db: Database, since: datetime, until: datetime) -> list[OffPolicySpend]:
    """For every imported policy with restrictions, its off-policy usage in ``[since, until)``.

    A stored policy that this version cannot read is skipped with a warning in the log, so the
    status and the other alerts never fail because of it.
    """
    found: list[OffPolicySpend] = []
    stored_policies = active(db)
    if not stored_policies:
        return found
    from tokenwallet.policy.off_policy import OffPolicySpend, flag  # the policy model loads with the first policy
    from tokenwallet.policy.parse import from_document

    for stored in stored_policies:
        try:
            policy = from_document(stored.document, name=f"the stored policy {stored.policy_id!r}")
        except UserInputError as exc:  # stored by another version: the status and alerts go on without it
            log.warning("off-policy spend is not checked: %s", exc)
            continue
        if not policy.restrictions.any:
            continue
        spent = routes(db, covered_accounts(db, stored.policy_id), since, until)
        found.append(OffPolicySpend(stored.policy_id, stored.revision, since, until, flag(spent, policy.restrictions)))
    return found
