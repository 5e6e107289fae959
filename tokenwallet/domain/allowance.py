"""The personal allowance: what an employer grants, how often, and what the engine derives from it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import msgspec

from tokenwallet.domain.meter import SplitBucket, StreamFigure


class Unit(StrEnum):
    """The unit of an allowance: micro-USD for ``usd``, plain tokens for ``tokens``."""

    USD = "usd"
    TOKENS = "tokens"


class Cadence(StrEnum):
    """How often a periodic grant arrives."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ONE_OFF = "one-off"


class GrantKind(StrEnum):
    """Why value was added to an allowance."""

    PERIODIC = "periodic"  # the regular grant of each period (derived, never stored)
    TOPUP = "topup"  # an extra grant, usually with its own expiry
    ROLLOVER = "rollover"  # unspent value carried into the next period (derived)
    ADJUSTMENT = "adjustment"  # a correction, positive or negative


class Scope(msgspec.Struct, frozen=True):
    """Which usage counts: all accounts when ``accounts`` is empty; optional provider/model filters."""

    accounts: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


class RolloverPolicy(msgspec.Struct, frozen=True):
    """Carry unspent value into the next period, up to ``cap`` (None: no cap), for ``expires_days``."""

    cap: int | None = None
    expires_days: int | None = None


class Allowance(msgspec.Struct, frozen=True):
    """A personal allowance.

    ``amount`` is in the allowance's unit (micro-USD or tokens) per period.  ``anchor_day`` is the
    day a period starts on: day of month (1-28) for monthly, quarterly and yearly cadences, ISO
    weekday (1=Monday) for weekly.  Periods are computed in ``timezone``.  A one-off allowance runs
    from ``starts_at`` to ``ends_at``.  ``backing_account_id`` names a gateway account (LiteLLM,
    OpenRouter) whose server-side limit defines amount, reset and expiry.  ``count_subscriptions``
    makes a usd allowance count the API-equivalent value of subscription usage as spend.
    """

    id: str
    name: str
    unit: Unit
    amount: int
    cadence: Cadence
    starts_at: datetime
    timezone: str = "UTC"
    anchor_day: int = 1
    ends_at: datetime | None = None
    scope: Scope = msgspec.field(default_factory=Scope)
    rollover: RolloverPolicy | None = None
    backing_account_id: str | None = None
    created_at: datetime | None = None
    count_subscriptions: bool = False


class Grant(msgspec.Struct, frozen=True):
    """Value added to an allowance; ``expires_at`` None means it lasts until the allowance ends."""

    id: str
    allowance_id: str
    kind: GrantKind
    amount: int
    granted_at: datetime
    expires_at: datetime | None = None
    note: str = ""


class SpendPoint(msgspec.Struct, frozen=True):
    """Spend of ``amount`` (allowance unit) in the bucket starting ``at``; ``estimated`` if from logs."""

    at: datetime
    amount: int
    estimated: bool = False


class GrantBalance(msgspec.Struct, frozen=True):
    """How one grant stands now: consumed by spend, still remaining, expired unspent, or rolled over.

    ``rolled_over`` is the part of a periodic grant's unspent value that the rollover policy
    carried into the next period (as that period's rollover grant) when the grant lapsed; the rest
    of what it held then is ``expired``.  Always ``amount == consumed + remaining + expired +
    rolled_over``.
    """

    grant: Grant
    consumed: int
    remaining: int
    expired: int
    rolled_over: int = 0


class ExpiryForecast(msgspec.Struct, frozen=True):
    """Value that will lapse at ``at`` if the current burn rate continues.

    ``remaining_now`` is what those grants hold now; ``projected_unspent`` what will be left at
    ``at``; ``daily_pace_needed`` the spend per day that would use it all before it lapses.
    """

    at: datetime
    remaining_now: int
    projected_unspent: int
    daily_pace_needed: float


class AllowanceStatus(msgspec.Struct, frozen=True):
    """Every figure for "now" that the meter, alerts, reports and the CLI show.

    Amounts are in the allowance's unit.  ``granted == spent + remaining + expired + rolled_over``
    always holds over the grants in ``grants``.  ``period_spent`` is spend since ``period_start``.
    ``rolled_over`` is non-zero only in the status of a closed period (taken at its end, so
    ``now == period_end``): the value its grants carried into the next period.
    """

    allowance_id: str
    name: str
    unit: Unit
    now: datetime
    period_start: datetime
    period_end: datetime
    granted: int
    spent: int
    remaining: int
    expired: int
    period_spent: int
    percent_used: float
    days_left: float
    elapsed_fraction: float
    burn_rate_per_day: float
    projected_period_spend: int
    projected_runout: datetime | None
    expiring: tuple[ExpiryForecast, ...] = ()
    grants: tuple[GrantBalance, ...] = ()
    estimated_spent: int = 0
    unpriced_records: int = 0
    overspent: int = 0
    backed_by: str | None = None
    rolled_over: int = 0
    streams: tuple[StreamFigure, ...] = ()
    """Per stream and confidence: what counted in the period and what was left out (and why)."""
    superseded: int = 0
    """Estimates left out in the period because the account they are billed through reported them."""
    subscription_value: int = 0
    """The API-equivalent value of subscription usage in the period (counted or not)."""
    splits: tuple[SplitBucket, ...] = ()
    """Daily UTC buckets split at the period start (placed on local days by hourly usage or hours)."""
    notes: tuple[str, ...] = ()
    """How figures were arrived at where it is not plain, in words (e.g. list prices for a model)."""

    @property
    def percent_spent(self) -> float:
        """Spend (including what no grant covered) as a percentage of what was granted; above 100 when overspent.

        ``percent_used`` stops at 100; this one says by how much the allowance is exceeded.
        """
        spent = self.spent + self.overspent
        if self.granted > 0:
            return round(100.0 * spent / self.granted, 2)
        return 100.0 if spent else 0.0


class DailySpend(msgspec.Struct, frozen=True):
    """Spend on one calendar ``day`` in the allowance's time zone; ``estimated`` is the part from logs."""

    day: date
    amount: int
    estimated: int = 0
