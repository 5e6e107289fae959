"""What the settings dialog does to allowances (no widgets here).

Kept apart from the dialog so the dialog stays a thin view and these steps are tested directly.
The account steps live in :mod:`tokenwallet.services.accounts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tokenwallet.domain.allowance import Allowance, Grant, GrantKind

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def add_allowance(
    ctx: AppContext,
    *,
    name: str,
    amount: str,
    unit: str,
    cadence: str,
    anchor_day: int | None,
    rollover: bool,
    rollover_cap: str | None,
    scope: tuple[str, ...] = (),
) -> Allowance:
    """Validate like ``tokenwallet allowance add`` does and store the allowance."""
    from tokenwallet.cli.allowance import build_allowance
    from tokenwallet.ledger import allowances

    allowance = build_allowance(
        ctx,
        name=name,
        amount=amount,
        unit=unit,
        cadence=cadence,
        anchor_day=anchor_day,
        timezone=None,
        starts=None,
        ends=None,
        rollover=rollover,
        rollover_cap=rollover_cap,
        rollover_expires_days=None,
        scope=scope,
        providers=(),
        models=(),
        backing_account=None,
    )
    return allowances.add(ctx.ledger(), allowance, at=ctx.clock())


def edit_allowance(
    ctx: AppContext,
    allowance_id: str,
    *,
    name: str,
    amount: str,
    unit: str,
    cadence: str,
    anchor_day: int | None,
    rollover: bool,
    rollover_cap: str | None,
    scope: tuple[str, ...] = (),
) -> Allowance:
    """Validate the new definition like ``allowance add`` does and replace the stored one (same id).

    The start, time zone, end, backing account and creation time stay as they were.
    """
    from tokenwallet.cli.allowance_edit import edited_allowance
    from tokenwallet.ledger import allowances

    before = allowances.get(ctx.ledger(), allowance_id)
    edited = edited_allowance(
        ctx,
        before,
        name=name,
        amount=amount,
        unit=unit,
        cadence=cadence,
        anchor_day=anchor_day,
        rollover=rollover,
        rollover_cap=rollover_cap,
        scope=scope,
    )
    return allowances.replace(ctx.ledger(), edited, at=ctx.clock())


def add_topup(ctx: AppContext, allowance_id: str, *, amount: str, expires: datetime | None, note: str) -> Grant:
    """Add a top-up grant, optionally with its own expiry."""
    from tokenwallet.budget.inputs import parse_amount
    from tokenwallet.ledger import allowances

    allowance = allowances.get(ctx.ledger(), allowance_id)
    now = ctx.clock()
    grant = Grant(
        id=allowances.new_id(),
        allowance_id=allowance_id,
        kind=GrantKind.TOPUP,
        amount=parse_amount(amount, allowance.unit, what="top-up amount"),
        granted_at=now,
        expires_at=expires,
        note=note.strip(),
    )
    return allowances.add_grant(ctx.ledger(), grant, at=now)


def remove_allowance(ctx: AppContext, allowance_id: str) -> None:
    """Remove an allowance (audited; recorded usage is untouched)."""
    from tokenwallet.ledger import allowances

    allowances.remove(ctx.ledger(), allowance_id, at=ctx.clock())
