"""A policy's terms in plain words, for ``policy show`` and the compensation view."""

from __future__ import annotations

from tokenwallet.budget.inputs import format_amount
from tokenwallet.domain.allowance import Cadence
from tokenwallet.policy.model import Every, Policy, PolicyAllowance, Vesting
from tokenwallet.policy.restrictions import describe as describe_restrictions
from tokenwallet.policy.vesting import add_periods, schedule

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ADVERB = {
    Every.DAY: "daily",
    Every.WEEK: "weekly",
    Every.MONTH: "monthly",
    Every.QUARTER: "quarterly",
    Every.YEAR: "yearly",
}


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _cadence(a: PolicyAllowance, zone: str) -> str:
    money = format_amount(a.amount, a.unit)
    if a.cadence is Cadence.ONE_OFF:
        start = a.starts.isoformat() if a.starts else "the day the policy takes effect"
        end = a.ends.isoformat() if a.ends else "its end"
        return f"{money} once, usable from {start} through {end} ({zone})."
    when = {
        Cadence.DAILY: "every day",
        Cadence.WEEKLY: f"every week, from {_WEEKDAYS[a.anchor_day - 1]}",
        Cadence.MONTHLY: f"every month, from the {_ordinal(a.anchor_day)}",
        Cadence.QUARTERLY: f"every quarter, from the {_ordinal(a.anchor_day)} of its first month",
        Cadence.YEARLY: f"every year, from the {_ordinal(a.anchor_day)} of the month it started",
    }[a.cadence]
    ends = f", through {a.ends.isoformat()}" if a.ends else ""
    return f"{money} {when} ({zone}){ends}; what is not spent in a period lapses at its end"


def _rollover(a: PolicyAllowance) -> str:
    if a.rollover is None:
        return "." if a.cadence is Cadence.ONE_OFF else ", with no rollover."
    cap = "all of it" if a.rollover.cap is None else f"up to {format_amount(a.rollover.cap, a.unit)}"
    lasts = (
        f", lasting {a.rollover.expires_days} days into the new period"
        if a.rollover.expires_days
        else ", lasting through the new period"
    )
    return f", except that {cap} rolls over into the next period{lasts}."


def vesting_words(vesting: Vesting, a: PolicyAllowance) -> str:
    """``$6,000.00 vests in 12 monthly instalments of $500.00 from 2026-12-01: ...``."""
    parts = schedule(vesting)
    each = format_amount(parts[0].amount, a.unit)
    text = (
        f"{format_amount(vesting.total, a.unit)} vests in {vesting.instalments} {_ADVERB[vesting.every]} "
        f"instalment{'s' if vesting.instalments != 1 else ''} of {each} from {vesting.start.isoformat()}"
    )
    if parts[-1].amount != parts[0].amount:
        text += f" (the last {format_amount(parts[-1].amount, a.unit)})"
    text += f": the first on {parts[0].day.isoformat()}, the last on {parts[-1].day.isoformat()}."
    if vesting.cliff:
        cliff_day = add_periods(vesting.start, vesting.every, vesting.cliff)
        text += (
            f" Nothing vests before {cliff_day.isoformat()} (a cliff of {vesting.cliff} "
            f"{vesting.every.value}{'s' if vesting.cliff != 1 else ''}); the instalments due by then vest that day."
        )
    return text


def allowance_terms(a: PolicyAllowance, zone: str) -> list[str]:
    """The terms of one allowance in plain words, one sentence per line; ``zone`` is where it counts."""
    lines = [_cadence(a, zone) + ("" if a.cadence is Cadence.ONE_OFF else _rollover(a))]
    if a.providers or a.models:
        scope = ", ".join([*a.providers, *a.models])
        lines.append(f"Only usage of {scope} counts against it.")
    for t in a.topups:
        reason = f" ({t.reason})" if t.reason else ""
        until = f", usable through {t.expires.isoformat()}" if t.expires else ", with no expiry"
        lines.append(f"Top-up of {format_amount(t.amount, a.unit)} on {t.granted.isoformat()}{reason}{until}.")
    if a.vesting is not None:
        lines.append(vesting_words(a.vesting, a))
    lines.append("It can be transferred to someone else." if a.transferable else "It cannot be transferred.")
    lines.append(
        "Unused value can be paid out in cash." if a.cash_value else "Unused value is not paid out; it is forfeited."
    )
    return lines


def policy_terms(policy: Policy, zone_of: dict[str, str]) -> list[str]:
    """The whole policy in plain words: a heading line, each allowance's terms, the restrictions."""
    lines = [f"{policy.employer}, policy {policy.policy_id} revision {policy.revision}, effective {policy.effective}."]
    for a in policy.allowances:
        lines.append(f"{a.name}:")
        lines.extend(f"  {line}" for line in allowance_terms(a, zone_of.get(a.name, a.timezone or "UTC")))
    restricted = describe_restrictions(policy.restrictions)
    if restricted:
        lines.append("Where the compute may be used:")
        lines.extend(f"  {line}" for line in restricted)
    return lines
