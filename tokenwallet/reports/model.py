"""The monthly report model: one set of frozen values that CSV, JSON and PDF are rendered from.

Money is integer micro-USD; allowance figures are in the allowance's unit (micro-USD or tokens).
No field ever holds a key or a key hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tokenwallet.domain.allowance import Unit

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class AllowanceLine:
    """One allowance over the month."""

    allowance_id: str
    name: str
    unit: Unit
    granted: int  # the periodic grant(s) and adjustments that arrived in the month
    topups: int
    rollover_in: int
    rollover_out: int  # carried into the next period at the month's end
    spent: int
    remaining: int  # at the end of the month (or now, for the current month)
    expired_unspent: int  # value that lapsed in the month
    overspent: int = 0  # spend in the month's period(s) that no grant covered: how far over the allowance


@dataclass(frozen=True, slots=True)
class UsageLine:
    """Usage on one local ``day`` for one provider, model and confidence."""

    day: date
    provider: str
    model: str
    confidence: str
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    requests: int
    cost_micros: int | None  # None: no money known for these rows
    unpriced_rows: int
    split: bool = False  # part of a daily UTC bucket split across local days (see the report's notes)

    @property
    def total_tokens(self) -> int:
        """Input, cached input, cache writes and output tokens."""
        return self.input_tokens + self.cached_input_tokens + self.cache_write_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class GroupLine:
    """Totals for one account (``dimension`` = account) or tag value (project, api_key, workspace)."""

    dimension: str
    value: str
    cost_micros: int
    tokens: int
    requests: int


@dataclass(frozen=True, slots=True)
class DayTotal:
    """All spend on one local day: what the chart draws against the allowance."""

    day: date
    cost_micros: int
    estimated_micros: int


@dataclass(frozen=True, slots=True)
class AlertLine:
    """An alert fired in the month."""

    fired_at: datetime
    kind: str
    severity: str
    title: str
    message: str


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An audit log entry of the month (details left out: they are for the ledger, not the report)."""

    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str


@dataclass(frozen=True, slots=True)
class CompensationLine:
    """One usd allowance as pay, in micro-USD (see :mod:`tokenwallet.services.compensation`).

    ``per_month``/``per_year`` are its standing value (its amount times periods a year).  The
    ``year_*`` figures run from the start of the calendar year to the moment the figures are for:
    value granted (periodic grants, top-ups, vesting instalments and adjustments; rollover is the
    same value again and not added), spent (``year_overspent`` of it beyond the allowance), and
    lapsed unspent.  ``projected_consumed`` and ``projected_value`` are the year's spend and value
    by its end at the current pace.  ``vested``/``unvested`` and ``payable``/``forfeitable`` come
    from an employer policy (without one nothing vests and what remains is forfeitable).
    """

    allowance_id: str
    name: str
    per_month: int
    per_year: int
    year_granted: int
    year_consumed: int
    year_overspent: int
    year_forfeited: int
    remaining: int
    projected_consumed: int
    projected_value: int
    vested: int = 0
    unvested: int = 0
    payable: int = 0
    forfeitable: int = 0
    policy_id: str = ""
    terms: tuple[str, ...] = ()

    @property
    def projected_unspent(self) -> int:
        """Value of the year left unspent at the current pace (it lapses unless it can be paid out)."""
        return max(self.projected_value - (self.projected_consumed - self.year_overspent), 0)


LINE_FIGURES = (
    "per_month",
    "per_year",
    "year_granted",
    "year_consumed",
    "year_overspent",
    "year_forfeited",
    "remaining",
    "projected_consumed",
    "projected_value",
    "projected_unspent",
    "vested",
    "unvested",
    "payable",
    "forfeitable",
)
"""The money figures of a :class:`CompensationLine`, in the order the CSV and JSON reports give them."""


@dataclass(frozen=True, slots=True)
class Compensation:
    """The allowance as part of pay: USD allowances only; salary is in ``currency`` when given.

    The first seven fields are the month's; ``lines`` (one per usd allowance, for the calendar
    year up to the month's end or now) and ``share_of_year_pay`` extend them.
    """

    allowance_value_micros: int
    consumed_micros: int
    forfeited_micros: int
    currency: str
    currency_rate: Decimal  # units of ``currency`` per USD
    monthly_salary: Decimal | None
    share_of_pay: Decimal | None  # 0.05 means the allowance is worth 5% of the month's pay
    year: int | None = None
    lines: tuple[CompensationLine, ...] = ()
    share_of_year_pay: Decimal | None = None  # the year's projected value as a share of a year's pay

    def total(self, name: str) -> int:
        """The sum of one :class:`CompensationLine` figure over every allowance (``"per_month"``, ...)."""
        return sum(int(getattr(line, name)) for line in self.lines)


@dataclass(frozen=True, slots=True)
class OffPolicyLine:
    """Usage of the month outside an employer policy's restrictions, for one provider, model and region."""

    policy_id: str
    revision: int
    provider: str
    model: str
    region: str  # "" when the provider does not report where requests were processed
    cost_micros: int
    tokens: int
    rows: int
    reasons: str  # why the policy does not allow it, e.g. "region 'us' is not allowed"


@dataclass(frozen=True, slots=True)
class Totals:
    """Month totals over every row (not only those in an allowance's scope)."""

    cost_micros: int
    billed_micros: int
    reported_micros: int
    estimated_micros: int
    tokens: int
    requests: int
    unpriced_rows: int
    rows: int
    gateway_micros: int = 0
    subscription_micros: int = 0  # API-equivalent value of subscription usage (not paid per token)
    counted_micros: int = 0  # what the meter counts over every account (superseded estimates and subscriptions out)
    superseded_micros: int = 0  # log estimates replaced by the bill of the account they are billed through


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """Everything about one month in the user's time zone."""

    month: str  # YYYY-MM
    timezone: str
    start: datetime  # local midnight of the 1st, as UTC
    end: datetime  # local midnight of the next month's 1st, as UTC
    generated_at: datetime
    totals: Totals
    allowances: tuple[AllowanceLine, ...]
    usage: tuple[UsageLine, ...]
    groups: tuple[GroupLine, ...]
    daily: tuple[DayTotal, ...]
    alerts: tuple[AlertLine, ...]
    audit: tuple[AuditLine, ...]
    compensation: Compensation
    notes: tuple[str, ...] = ()
    off_policy: tuple[OffPolicyLine, ...] = ()
    """Usage outside each imported employer policy's restrictions (empty without restrictions)."""
    schema_version: int = SCHEMA_VERSION
