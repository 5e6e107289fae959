"""The employer token policy as typed, validated values (format version 1).

Amounts are in the allowance's unit as tokenwallet stores them: micro-USD for ``usd``, tokens for
``tokens``.  Dates are calendar days; they become moments only once a time zone is known (the
allowance's, or the user's), which is the services' job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from tokenwallet.domain.allowance import Cadence, Unit

SCHEMA_ID = "tokenwallet-policy/1"
"""The value of ``schema`` in a version 1 policy."""


class Every(StrEnum):
    """How often a vesting instalment vests."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class Rollover:
    """Unspent value carried into the next period, up to ``cap`` (None: no cap), for ``expires_days``."""

    cap: int | None = None
    expires_days: int | None = None


@dataclass(frozen=True, slots=True)
class Topup:
    """An extra grant of ``amount`` on ``granted``, spendable through ``expires`` (None: no expiry)."""

    amount: int
    granted: date
    reason: str = ""
    expires: date | None = None

    @property
    def key(self) -> str:
        """What identifies this top-up across revisions: its day and reason."""
        return f"topup:{self.granted.isoformat()}:{self.reason}"


@dataclass(frozen=True, slots=True)
class Vesting:
    """``total`` vesting in ``instalments`` equal parts, one every ``every`` after ``start``.

    Instalment *k* (1-based) vests ``k`` periods after ``start``; with a ``cliff`` of *c* periods
    none vests before ``start`` + *c* periods, when those due by then vest together.
    """

    total: int
    start: date
    instalments: int
    every: Every
    cliff: int = 0


@dataclass(frozen=True, slots=True)
class PolicyAllowance:
    """One allowance the policy grants.  ``given`` names the optional fields the file set."""

    name: str
    unit: Unit
    amount: int
    cadence: Cadence
    anchor_day: int = 1
    timezone: str | None = None
    starts: date | None = None
    ends: date | None = None
    rollover: Rollover | None = None
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    transferable: bool = False
    cash_value: bool = False
    topups: tuple[Topup, ...] = ()
    vesting: Vesting | None = None
    given: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Restrictions:
    """Where the compute may be used; an empty tuple allows anything on that dimension."""

    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        """Whether anything is restricted at all."""
        return bool(self.providers or self.models or self.regions)


@dataclass(frozen=True, slots=True)
class Policy:
    """One revision of an employer's policy."""

    employer: str
    policy_id: str
    revision: int
    effective: date
    allowances: tuple[PolicyAllowance, ...]
    restrictions: Restrictions = Restrictions()
    notes: str = ""

    def allowance(self, name: str) -> PolicyAllowance | None:
        """The allowance called ``name``, if the policy has one."""
        return next((a for a in self.allowances if a.name == name), None)
