"""The audit log: every change to accounts, allowances, grants, rules and manual spend, oldest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenwallet.budget.inputs import parse_when
from tokenwallet.domain.errors import input_field
from tokenwallet.ledger import audit
from tokenwallet.ledger.audit import AuditEntry

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def audit_entries(ctx: AppContext, *, since: str | None = None, limit: int | None = None) -> list[AuditEntry]:
    """Entries from ``since`` (an ISO date or datetime, UTC when naive), at most ``limit``, oldest first."""
    with input_field("since"):
        start = parse_when(since, "UTC", what="start date") if since else None
    return audit.entries(ctx.ledger(), since=start, limit=limit)
