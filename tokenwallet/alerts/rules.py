"""Alert rule kinds and their parameters as frozen records (``msgspec.Struct``), with conversion to/from stored JSON.

Amounts (``absolute``, ``min_unspent``, ``min_amount``) are in the allowance's unit: micro-USD or
tokens.  Each rule fires once per crossing per period (see :mod:`tokenwallet.alerts.evaluate`).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.limits import MAX_DAYS, MAX_USD, in_money_range
from tokenwallet.ledger.alerts import StoredRule


class RuleKind(StrEnum):
    """What a rule watches."""

    THRESHOLD = "threshold"  # actual spend crossed a percent of the grant or an absolute amount
    FORECAST = "forecast"  # at the current pace the allowance runs out before the period ends
    EXPIRY = "expiry"  # a grant expires soon with value unspent
    SPIKE = "spike"  # today's spend is k times the trailing median
    STALE = "stale"  # no successful sync for N hours
    PROVIDER = "provider"  # a provider-side signal (LiteLLM soft budget, OpenRouter limit, Codex window)
    OFF_POLICY = "off_policy"  # usage this month outside an employer policy's restrictions


class Signal(StrEnum):
    """Provider signals a :class:`ProviderParams` rule can watch."""

    LITELLM_SOFT_BUDGET = "litellm_soft_budget"
    OPENROUTER_LIMIT = "openrouter_limit"
    CODEX_WEEKLY = "codex_weekly"


class ThresholdParams(msgspec.Struct, frozen=True):
    """Fire when ``percent`` of the granted value is used, or when period spend reaches ``absolute``."""

    percent: float | None = None
    absolute: int | None = None


class ForecastParams(msgspec.Struct, frozen=True):
    """Fire when the projected run-out is more than ``margin_days`` before the period ends."""

    margin_days: float = 0.0


class ExpiryParams(msgspec.Struct, frozen=True):
    """Fire ``days_before`` days before a grant lapses with at least ``min_unspent`` projected unspent."""

    days_before: float = 7.0
    min_unspent: int = 1


class SpikeParams(msgspec.Struct, frozen=True):
    """Fire when today's spend is at least ``factor`` x the median of the ``trailing_days`` before."""

    factor: float = 3.0
    trailing_days: int = 14
    min_amount: int = 0


class StaleParams(msgspec.Struct, frozen=True):
    """Fire when an account (``account_id``, or any) has had no successful sync for ``hours``."""

    hours: float = 6.0
    account_id: str | None = None


class ProviderParams(msgspec.Struct, frozen=True):
    """Fire on a provider signal at ``percent`` used (LiteLLM soft budget ignores percent)."""

    signal: Signal = Signal.OPENROUTER_LIMIT
    percent: float = 90.0
    account_id: str | None = None


class OffPolicyParams(msgspec.Struct, frozen=True):
    """Fire when this month's usage outside a policy's restrictions costs more than ``min_amount``
    (micro-USD; 0: any off-policy usage at all)."""

    min_amount: int = 0


RuleParams = (
    ThresholdParams | ForecastParams | ExpiryParams | SpikeParams | StaleParams | ProviderParams | OffPolicyParams
)

_PARAMS: dict[RuleKind, type[Any]] = {
    RuleKind.THRESHOLD: ThresholdParams,
    RuleKind.FORECAST: ForecastParams,
    RuleKind.EXPIRY: ExpiryParams,
    RuleKind.SPIKE: SpikeParams,
    RuleKind.STALE: StaleParams,
    RuleKind.PROVIDER: ProviderParams,
    RuleKind.OFF_POLICY: OffPolicyParams,
}
_KIND_OF: dict[type[Any], RuleKind] = {v: k for k, v in _PARAMS.items()}

DEFAULT_PERCENTS = (80.0, 95.0, 100.0)
"""The thresholds (percent of the granted value used) every new allowance gets."""
DEFAULT_EXPIRY_DAYS = 3.0
"""How long before a grant lapses with value unspent the default expiry rule warns."""


class Rule(msgspec.Struct, frozen=True):
    """A rule for one allowance (``allowance_id`` None: account-wide rules such as stale or provider)."""

    id: str
    params: RuleParams
    allowance_id: str | None = None
    enabled: bool = True
    notify_recovery: bool = False  # also tell when the condition clears ("available again")

    @property
    def kind(self) -> RuleKind:
        """The rule kind, from the type of its params."""
        return _KIND_OF[type(self.params)]

    def describe(self) -> str:
        """A short human description, e.g. ``threshold percent=80``."""
        values = [f"{k}={v}" for k, v in msgspec.structs.asdict(self.params).items() if v is not None]
        return f"{self.kind.value} {' '.join(values)}".strip()


def new_rule_id() -> str:
    """A short random rule id."""
    return "r-" + uuid.uuid4().hex[:8]


def _finite(value: float, field: str, what: str) -> None:
    if not math.isfinite(value):
        raise UserInputError(f"The {what} must be a number, not {value!r}.", field=field)


def _amount(value: int, field: str, what: str) -> None:
    if not in_money_range(value):
        raise UserInputError(f"The {what} is too large; amounts are limited to ${MAX_USD:,}.", field=field)


def validate(params: RuleParams) -> None:
    """Raise :class:`UserInputError` naming the bad parameter (``field``) and what is allowed.

    Also checks the bounds of :mod:`tokenwallet.domain.limits` (durations of at most ten years,
    finite numbers), so a rule that passes can be evaluated without overflowing.
    """
    if isinstance(params, ThresholdParams):
        if (params.percent is None) == (params.absolute is None):
            raise UserInputError("A threshold rule needs exactly one of a percent used or an absolute amount.")
        if params.percent is not None and not 0 < params.percent <= 1000:
            raise UserInputError(
                f"The percent {params.percent} is out of range; use a number above 0, e.g. 80.", field="percent"
            )
        if params.absolute is not None:
            if params.absolute <= 0:
                raise UserInputError("An absolute threshold must be above zero.", field="absolute")
            _amount(params.absolute, "absolute", "absolute threshold")
    elif isinstance(params, SpikeParams):
        _finite(params.factor, "factor", "spike factor")
        if params.factor <= 1:
            raise UserInputError("A spike rule needs a factor above 1, e.g. 3.", field="factor")
        if not 1 <= params.trailing_days <= MAX_DAYS:
            raise UserInputError(
                f"A spike rule compares with 1 to {MAX_DAYS:,} trailing days (ten years), "
                f"not {params.trailing_days:,}.",
                field="trailing_days",
            )
        if params.min_amount < 0:
            raise UserInputError("A spike rule's minimum amount cannot be negative.", field="min_amount")
        _amount(params.min_amount, "min_amount", "spike minimum")
    elif isinstance(params, StaleParams):
        _finite(params.hours, "hours", "number of hours")
        if not 0 < params.hours <= MAX_DAYS * 24:
            raise UserInputError(
                f"A stale rule needs hours above zero and at most {MAX_DAYS * 24:,} (ten years).", field="hours"
            )
    elif isinstance(params, ExpiryParams):
        _finite(params.days_before, "days_before", "number of days before an expiry")
        if not 0 < params.days_before <= MAX_DAYS:
            raise UserInputError(
                f"An expiry rule warns between 0 and {MAX_DAYS:,} days (ten years) before a grant lapses; "
                f"{params.days_before:g} is out of range.",
                field="days_before",
            )
        if params.min_unspent < 0:
            raise UserInputError("An expiry rule's minimum unspent amount cannot be negative.", field="min_unspent")
        _amount(params.min_unspent, "min_unspent", "minimum unspent amount")
    elif isinstance(params, ForecastParams):
        _finite(params.margin_days, "margin_days", "forecast margin")
        if not 0 <= params.margin_days <= MAX_DAYS:
            raise UserInputError(
                f"A forecast margin is 0 to {MAX_DAYS:,} days (ten years), not {params.margin_days:g}.",
                field="margin_days",
            )
    elif isinstance(params, OffPolicyParams):
        if params.min_amount < 0:
            raise UserInputError("An off-policy rule's minimum amount cannot be negative.", field="min_amount")
        _amount(params.min_amount, "min_amount", "off-policy minimum")
    elif isinstance(params, ProviderParams) and not 0 < params.percent <= 100:
        raise UserInputError(f"The percent {params.percent} is out of range; use 1-100.", field="percent")


def usable(rule: Rule) -> bool:
    """Whether a stored rule passes :func:`validate` (one written by an older version may not)."""
    try:
        validate(rule.params)
    except (UserInputError, TypeError):
        return False
    return True


def default_rules(allowance_id: str) -> list[Rule]:
    """The rules every new allowance gets, whichever way it is created.

    Actual spend at 80, 95 and 100% of the granted value; the forecast "runs out before the
    reset"; and a warning 3 days before a grant lapses with value unspent.
    """
    rules = [Rule(new_rule_id(), ThresholdParams(percent=p), allowance_id) for p in DEFAULT_PERCENTS]
    rules.append(Rule(new_rule_id(), ForecastParams(margin_days=0.0), allowance_id))
    rules.append(Rule(new_rule_id(), ExpiryParams(days_before=DEFAULT_EXPIRY_DAYS, min_unspent=1), allowance_id))
    return rules


def to_stored(rule: Rule, created_at: datetime) -> StoredRule:
    """The ledger row for ``rule``."""
    params = {k: v for k, v in msgspec.structs.asdict(rule.params).items() if v is not None}
    if rule.notify_recovery:
        params["notify_recovery"] = True
    return StoredRule(rule.id, rule.kind.value, rule.allowance_id, params, rule.enabled, created_at)


def from_stored(row: StoredRule) -> Rule:
    """The typed rule for a ledger row; unknown keys are ignored so older files still load."""
    try:
        kind = RuleKind(row.kind)
    except ValueError as exc:
        raise UserInputError(f"alert rule {row.id} has unknown kind {row.kind!r}") from exc
    cls = _PARAMS[kind]
    names = set(cls.__struct_fields__)
    values = {k: v for k, v in row.params.items() if k in names}
    if kind is RuleKind.PROVIDER and "signal" in values:
        values["signal"] = Signal(values["signal"])
    return Rule(row.id, cls(**values), row.allowance_id, row.enabled, bool(row.params.get("notify_recovery")))
