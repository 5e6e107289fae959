"""The budget gate for scripts and agents: does a planned spend fit what is left?

An allowance whose stored values are out of bounds cannot be answered for; the check then
raises :class:`~tokenwallet.domain.errors.StoredValueError` rather than guess.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from tokenwallet.budget.inputs import parse_amount
from tokenwallet.domain.allowance import Allowance, Unit
from tokenwallet.domain.errors import UserInputError, input_field
from tokenwallet.ledger import allowances
from tokenwallet.services.status import figures

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


class AllowanceCheck(msgspec.Struct, frozen=True):
    """One allowance's answer: ``amount`` and ``remaining`` in its unit."""

    allowance: Allowance
    amount: int
    remaining: int
    period_end: datetime
    overspent: int = 0
    """Spend in the period that no grant covered: by how much the allowance is already exceeded."""

    @property
    def fits(self) -> bool:
        """Whether the amount fits what is left."""
        return self.amount <= self.remaining

    @property
    def shortfall(self) -> int:
        """How much is missing (0 when it fits)."""
        return max(self.amount - self.remaining, 0)


class BudgetAnswer(msgspec.Struct, frozen=True):
    """The answer for every allowance checked, at ``checked_at``."""

    checked_at: datetime
    checks: tuple[AllowanceCheck, ...]

    @property
    def fits(self) -> bool:
        """Whether the amount fits every allowance checked."""
        return all(c.fits for c in self.checks)


def check_budget(ctx: AppContext, amount: str, allowance: str | None = None) -> BudgetAnswer:
    """Whether ``amount`` (as typed, in each allowance's unit) fits ``allowance``, else every usd allowance."""
    db = ctx.ledger()
    if allowance:
        with input_field("allowance"):
            chosen = [allowances.find(db, allowance)]
    else:
        chosen = [a for a in allowances.list_allowances(db) if a.unit is Unit.USD]
        if not chosen:
            raise UserInputError(
                "There is no usd allowance to check against; add one, or name a token allowance to check."
            )
    now = ctx.clock()
    checks = []
    for item in chosen:
        with input_field("amount"):
            wanted = parse_amount(amount, item.unit)
        status = figures(db, item, now).status
        checks.append(AllowanceCheck(item, wanted, status.remaining, status.period_end, status.overspent))
    return BudgetAnswer(now, tuple(checks))
