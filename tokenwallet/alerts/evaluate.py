"""Pure, edge-triggered alert evaluation: rules x facts x stored state -> transitions.

Each rule yields *observations*: a condition under a period key that is either active or not.
A transition happens only when an observation differs from the stored state of (rule, key):
OK -> ALARM fires once; ALARM -> OK re-arms (and tells, if the rule asks for it).  A new period
has a new key and therefore no stored state, which is how rules re-arm when the period resets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import msgspec

from tokenwallet.alerts.rules import (
    ExpiryParams,
    ForecastParams,
    OffPolicyParams,
    ProviderParams,
    Rule,
    Signal,
    SpikeParams,
    StaleParams,
    ThresholdParams,
)
from tokenwallet.budget.inputs import format_amount
from tokenwallet.domain.accounts import SyncState
from tokenwallet.domain.allowance import AllowanceStatus, DailySpend, Unit
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind

if TYPE_CHECKING:
    from tokenwallet.policy.off_policy import OffPolicySpend

OK = "ok"
ALARM = "alarm"


class Facts(msgspec.Struct, frozen=True):
    """Everything the rules look at, read from the ledger at ``now``."""

    now: datetime
    statuses: Mapping[str, AllowanceStatus] = msgspec.field(default_factory=dict)
    daily: Mapping[str, Sequence[DailySpend]] = msgspec.field(default_factory=dict)
    zones: Mapping[str, ZoneInfo] = msgspec.field(default_factory=dict)
    sync_states: Sequence[SyncState] = ()
    snapshots: Sequence[BalanceSnapshot] = ()
    off_policy: Sequence[OffPolicySpend] = ()
    """This month's usage outside each imported policy's restrictions (``month`` names the month)."""
    month: str = ""


class Observation(msgspec.Struct, frozen=True):
    """Whether a rule's condition holds for one period key, with the words to tell the user."""

    rule: Rule
    period_key: str
    active: bool
    title: str = ""
    message: str = ""
    severity: str = "warning"


class Transition(msgspec.Struct, frozen=True):
    """A change of stored state: ``to`` is ``alarm`` (fire) or ``ok`` (re-arm)."""

    rule: Rule
    period_key: str
    to: str
    title: str
    message: str
    severity: str

    @property
    def notify(self) -> bool:
        """Whether the user hears about this transition."""
        return self.to == ALARM or self.rule.notify_recovery


def _pkey(status: AllowanceStatus) -> str:
    return status.period_start.strftime("%Y-%m-%dT%H:%MZ")


def _threshold(rule: Rule, p: ThresholdParams, s: AllowanceStatus) -> Observation:
    if p.percent is not None:
        active = s.percent_used >= p.percent
        what = f"{p.percent:g}%"
        severity = "critical" if p.percent >= 100 else "warning"
    else:
        assert p.absolute is not None
        active = s.period_spent >= p.absolute
        what = format_amount(p.absolute, s.unit)
        severity = "warning"
    title = f"{s.name}: {what} used"
    if s.overspent > 0:
        # Spend no grant covered: say by how much the allowance is exceeded, not "0 left".
        message = (
            f"{format_amount(s.spent + s.overspent, s.unit)} spent of {format_amount(s.granted, s.unit)} "
            f"({s.percent_spent:.0f}%): {format_amount(s.overspent, s.unit)} over the allowance."
        )
    else:
        message = (
            f"{format_amount(s.spent, s.unit)} of {format_amount(s.granted, s.unit)} spent "
            f"({s.percent_used:.0f}%); {format_amount(s.remaining, s.unit)} left."
        )
    return Observation(rule, f"{_pkey(s)}", active, title, message, severity)


def _forecast(rule: Rule, p: ForecastParams, s: AllowanceStatus) -> Observation:
    runout = s.projected_runout
    active = (
        runout is not None
        and s.remaining > 0
        and runout + timedelta(days=p.margin_days) < s.period_end
        and runout > s.now
    )
    when = runout.strftime("%Y-%m-%d %H:%M UTC") if runout else ""
    message = (
        f"At {format_amount(round(s.burn_rate_per_day), s.unit)} a day the allowance runs out around {when}, "
        f"before the period ends on {s.period_end:%Y-%m-%d}."
    )
    return Observation(rule, _pkey(s), active, f"{s.name}: will run out early", message)


def _expiry(rule: Rule, p: ExpiryParams, s: AllowanceStatus) -> list[Observation]:
    result = []
    for e in s.expiring:
        key = "expiry:" + e.at.strftime("%Y-%m-%dT%H:%MZ")
        active = timedelta(0) < e.at - s.now <= timedelta(days=p.days_before) and e.projected_unspent >= max(
            p.min_unspent, 1
        )
        message = (
            f"{format_amount(e.projected_unspent, s.unit)} will lapse unspent on {e.at:%Y-%m-%d}; "
            f"spend {format_amount(round(e.daily_pace_needed), s.unit)} a day to use it."
        )
        result.append(Observation(rule, key, active, f"{s.name}: value expires soon", message))
    return result


def _spike(rule: Rule, p: SpikeParams, s: AllowanceStatus, days: Sequence[DailySpend], tz: ZoneInfo) -> Observation:
    today = s.now.astimezone(tz).date()
    by_day = {d.day: d.amount for d in days}
    trailing = [by_day.get(today - timedelta(days=i), 0) for i in range(1, p.trailing_days + 1)]
    from statistics import median as middle  # only with a spike rule to evaluate

    median = middle(trailing)
    spent_today = by_day.get(today, 0)
    active = median > 0 and spent_today >= p.factor * median and spent_today >= p.min_amount
    message = (
        f"Today {format_amount(spent_today, s.unit)}, {spent_today / median if median else 0:.1f}x the "
        f"{p.trailing_days}-day median of {format_amount(round(median), s.unit)}."
    )
    return Observation(rule, f"spike:{today.isoformat()}", active, f"{s.name}: spending spike", message)


def _stale(rule: Rule, p: StaleParams, facts: Facts) -> list[Observation]:
    result = []
    for st in facts.sync_states:
        if p.account_id and st.account_id != p.account_id:
            continue
        if st.last_attempt is None and st.last_success is None:
            continue  # never polled yet: nothing to be stale about
        since = st.last_success
        active = since is None or facts.now - since > timedelta(hours=p.hours)
        ago = "never" if since is None else f"{(facts.now - since).total_seconds() / 3600:.0f} h ago"
        message = f"Last successful sync of {st.account_id}: {ago}." + (f" {st.last_error}" if st.last_error else "")
        key = f"stale:{st.account_id}:{st.stream}"
        result.append(Observation(rule, key, active, f"{st.account_id}: data is stale", message))
    return result


def _used_percent(snap: BalanceSnapshot) -> float | None:
    if snap.limit_micros is None or snap.limit_micros <= 0:
        return None
    if snap.spent_micros is not None:
        spent = snap.spent_micros
    elif snap.remaining_micros is not None:
        spent = snap.limit_micros - snap.remaining_micros
    else:
        return None
    return 100.0 * spent / snap.limit_micros


def _provider(rule: Rule, p: ProviderParams, facts: Facts) -> list[Observation]:
    result = []
    for snap in facts.snapshots:
        if p.account_id and snap.account_id != p.account_id:
            continue
        reset = snap.resets_at.strftime("%Y-%m-%dT%H:%MZ") if snap.resets_at else snap.period
        key = f"provider:{snap.account_id}:{snap.name}:{reset}"
        if p.signal is Signal.LITELLM_SOFT_BUDGET:
            if snap.kind is not SnapshotKind.LIMIT or snap.soft_limit_micros is None or snap.spent_micros is None:
                continue
            active = snap.spent_micros >= snap.soft_limit_micros
            title = f"{snap.account_id}: soft budget crossed"
            message = f"Spent {format_amount(snap.spent_micros, Unit.USD)} of a soft budget of " + format_amount(
                snap.soft_limit_micros, Unit.USD
            )
        elif p.signal is Signal.OPENROUTER_LIMIT:
            used = _used_percent(snap) if snap.kind is SnapshotKind.LIMIT else None
            if used is None:
                continue
            active = used >= p.percent
            title = f"{snap.account_id}: limit {used:.0f}% used"
            message = f"The {snap.name} limit of {format_amount(snap.limit_micros or 0, Unit.USD)} is {used:.0f}% used."
        else:
            if snap.kind is not SnapshotKind.RATE_WINDOW or snap.name != "secondary" or snap.used_percent is None:
                continue
            active = snap.used_percent >= p.percent
            title = f"{snap.account_id}: weekly window {snap.used_percent:.0f}% used"
            message = "The weekly plan window resets " + (
                f"{snap.resets_at:%Y-%m-%d %H:%M UTC}." if snap.resets_at else "later."
            )
        result.append(Observation(rule, key, active, title, message))
    return result


def _off_policy(rule: Rule, p: OffPolicyParams, facts: Facts) -> list[Observation]:
    result = []
    for spend in facts.off_policy:
        active = spend.rows > 0 and (spend.cost_micros > p.min_amount or (p.min_amount == 0 and spend.tokens > 0))
        worst = spend.routes[0] if spend.routes else None
        where = ""
        if worst is not None:
            region = f" in region {worst.route.region!r}" if worst.route.region else ""
            where = f" Largest: {worst.route.provider} {worst.route.model}{region} ({'; '.join(worst.reasons)})."
        tokens = f" and {spend.tokens:,} tokens" if spend.tokens else ""
        message = (
            f"{format_amount(spend.cost_micros, Unit.USD)}{tokens} this month went where the policy "
            f"{spend.policy_id!r} does not allow it.{where}"
        )
        key = f"off_policy:{spend.policy_id}:{facts.month}"
        result.append(Observation(rule, key, active, f"{spend.policy_id}: off-policy spend", message))
    return result


def observe(rule: Rule, facts: Facts) -> list[Observation]:
    """The observations of one rule; none when it does not apply (unknown allowance, no data)."""
    params = rule.params
    if isinstance(params, StaleParams):
        return _stale(rule, params, facts)
    if isinstance(params, ProviderParams):
        return _provider(rule, params, facts)
    if isinstance(params, OffPolicyParams):
        return _off_policy(rule, params, facts)
    status = facts.statuses.get(rule.allowance_id or "")
    if status is None:
        return []
    if isinstance(params, ThresholdParams):
        return [_threshold(rule, params, status)]
    if isinstance(params, ForecastParams):
        return [_forecast(rule, params, status)]
    if isinstance(params, ExpiryParams):
        return _expiry(rule, params, status)
    assert isinstance(params, SpikeParams)
    days = facts.daily.get(status.allowance_id, ())
    return [_spike(rule, params, status, days, facts.zones.get(status.allowance_id, ZoneInfo("UTC")))]


def evaluate(rules: Sequence[Rule], facts: Facts, stored: Mapping[tuple[str, str], str]) -> list[Transition]:
    """Transitions for ``rules`` given ``stored`` state by (rule id, period key); missing state is OK."""
    result: list[Transition] = []
    for rule in rules:
        if not rule.enabled:
            continue
        for obs in observe(rule, facts):
            before = stored.get((rule.id, obs.period_key), OK)
            after = ALARM if obs.active else OK
            if before == after:
                continue
            if after == OK:
                title = obs.title.split(":")[0] + ": available again"
                result.append(Transition(rule, obs.period_key, OK, title, obs.message, "info"))
            else:
                result.append(Transition(rule, obs.period_key, ALARM, obs.title, obs.message, obs.severity))
    return result
