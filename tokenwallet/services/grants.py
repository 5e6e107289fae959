"""Top-ups and adjustments of an allowance, for the command line and the settings dialogs.

Amounts are parsed in the allowance's unit and dates in its time zone, within the bounds of
:mod:`tokenwallet.domain.limits`; a refused value names its input in ``field`` (``amount``,
``at``, ``expires``).  Each grant is audited in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tokenwallet.budget.inputs import parse_amount, parse_when
from tokenwallet.domain.allowance import Grant, GrantKind
from tokenwallet.domain.errors import UserInputError, input_field
from tokenwallet.domain.limits import check_time
from tokenwallet.ledger import allowances

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def _when(value: str | datetime | None, zone_name: str, field: str, *, end_of_day: bool = False) -> datetime | None:
    if value is None:
        return None
    what = {"at": "grant date", "expires": "expiry date"}[field]
    with input_field(field):
        if isinstance(value, datetime):
            return check_time(value, what)
        return parse_when(value, zone_name, what=what, end_of_day=end_of_day)


def _add_grant(
    ctx: AppContext,
    allowance: str,
    kind: GrantKind,
    *,
    amount: str,
    expires: str | datetime | None,
    at: str | datetime | None,
    note: str,
) -> Grant:
    db = ctx.ledger()
    target = allowances.find(db, allowance)
    what = "top-up amount" if kind is GrantKind.TOPUP else "adjustment"
    with input_field("amount"):
        value = parse_amount(amount, target.unit, what=what, allow_negative=kind is GrantKind.ADJUSTMENT)
    if value < 0 and expires:
        raise UserInputError(
            "An expiry applies only to added value; a negative adjustment takes effect once, so leave it out.",
            field="expires",
        )
    now = ctx.clock()
    granted_at = _when(at, target.timezone, "at") or now
    expires_at = _when(expires, target.timezone, "expires", end_of_day=True)
    grant = Grant(
        id=allowances.new_id(),
        allowance_id=target.id,
        kind=kind,
        amount=value,
        granted_at=granted_at,
        expires_at=expires_at,
        note=note.strip(),
    )
    with input_field("expires"):
        return allowances.add_grant(db, grant, at=now)


def add_topup(
    ctx: AppContext,
    allowance: str,
    *,
    amount: str,
    expires: str | datetime | None = None,
    at: str | datetime | None = None,
    note: str = "",
) -> Grant:
    """Add a top-up to ``allowance`` (name or id), granted ``at`` (default now), lasting until ``expires``.

    Text dates are read in the allowance's zone; a bare expiry date lasts through that day.
    """
    return _add_grant(ctx, allowance, GrantKind.TOPUP, amount=amount, expires=expires, at=at, note=note)


def adjust_allowance(
    ctx: AppContext,
    allowance: str,
    *,
    amount: str,
    expires: str | datetime | None = None,
    at: str | datetime | None = None,
    note: str = "",
) -> Grant:
    """Record a correction to ``allowance``: positive adds value, negative withdraws from what is left."""
    return _add_grant(ctx, allowance, GrantKind.ADJUSTMENT, amount=amount, expires=expires, at=at, note=note)


def list_grants(ctx: AppContext, allowance_id: str) -> list[Grant]:
    """Every grant of ``allowance_id`` (periodic ones, top-ups and adjustments), oldest first."""
    return allowances.grants_for(ctx.ledger(), allowance_id)
