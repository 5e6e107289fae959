"""Build the monthly report model from the ledger, for a month in the user's time zone.

Text that came from providers or users (model names, tags, allowance names, alert texts) passes
through the same redaction as the logs (every key this process has loaded, and anything
key-shaped), so a key pasted into a tag by mistake never reaches an export.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tokenwallet.budget.compensation import pay_in_micros, share_of_pay
from tokenwallet.budget.grants import periodic_grant
from tokenwallet.budget.periods import local_midnight, periods_between
from tokenwallet.domain.allowance import Allowance, AllowanceStatus, GrantKind, Unit
from tokenwallet.domain.clock import ensure_utc
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.limits import MAX_TIME, MIN_TIME
from tokenwallet.domain.money import format_money
from tokenwallet.domain.redaction import redact
from tokenwallet.ledger import alerts as alert_store
from tokenwallet.ledger import allowances, audit, policies
from tokenwallet.ledger import report_queries as q
from tokenwallet.ledger.counting import ledger_count
from tokenwallet.ledger.db import to_epoch
from tokenwallet.ledger.status import allowance_status, closed_period_status, daily_spend
from tokenwallet.reports.model import (
    AlertLine,
    AllowanceLine,
    AuditLine,
    Compensation,
    DayTotal,
    GroupLine,
    MonthlyReport,
    OffPolicyLine,
    Totals,
    UsageLine,
)
from tokenwallet.settings import Settings, monthly_pay_in_display_currency

if TYPE_CHECKING:
    from sqlite_utils import Database

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` to (year, month) within the dates tokenwallet handles (1970–2199); a clear error otherwise."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UserInputError(f"month {text!r} is not a month; use YYYY-MM, e.g. 2026-11")
    year, month = int(match.group(1)), int(match.group(2))
    if not MIN_TIME.year <= year < MAX_TIME.year:
        raise UserInputError(
            f"month {text.strip()} is out of range; use a month from {MIN_TIME.year}-01 to {MAX_TIME.year - 1}-12"
        )
    return year, month


def month_days(year: int, month: int) -> list[date]:
    """Every day of the month plus the 1st of the next month (the end boundary)."""
    first = date(year, month, 1)
    after = date(year + (month == 12), month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((after - first).days + 1)]


def zone_offsets(tz: ZoneInfo, start: int, end: int, step: int = 900) -> list[tuple[int, int]]:
    """(from Unix time, UTC offset in seconds) for ``[start, end)``: the first, then one per change.

    Zones change offset on quarter hours, so checking every ``step`` seconds finds each change.
    """

    def offset(at: int) -> int:
        delta = datetime.fromtimestamp(at, tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    result = [(start, offset(start))]
    for at in range(start + step, end, step):
        current = offset(at)
        if current != result[-1][1]:
            result.append((at, current))
    return result


def _allowance_line(db: Database, allowance: Allowance, start: datetime, end: datetime, now: datetime) -> AllowanceLine:
    current = now < end
    before_end = min(now, end - timedelta(seconds=1))
    last: AllowanceStatus = allowance_status(db, allowance, before_end)
    # A closed month is read as at its end: its grants with what lapsed and what rolled over.
    at_end = last if current else closed_period_status(db, allowance, start, end)
    sums: dict[GrantKind, int] = defaultdict(int)
    for period in periods_between(allowance, start, end):
        if start <= period[0] < end:
            sums[GrantKind.PERIODIC] += periodic_grant(allowance, period).amount
    for g in allowances.grants_for(db, allowance.id):
        if start <= g.granted_at < end:
            sums[g.kind] += g.amount
    expired = 0
    seen: set[str] = set()
    for balance in (*at_end.grants, *last.grants):
        g = balance.grant
        if g.id in seen:
            continue
        seen.add(g.id)
        if g.kind is GrantKind.ROLLOVER and start <= g.granted_at < end:
            sums[g.kind] += g.amount
        if g.expires_at is not None and start < g.expires_at <= end:
            expired += balance.expired
    rollover_out = sum(b.rolled_over for b in at_end.grants if b.grant.expires_at == end)
    spent = sum(d.amount for d in daily_spend(db, allowance, start, min(end, now + timedelta(seconds=1))))
    return AllowanceLine(
        allowance_id=allowance.id,
        name=redact(allowance.name),
        unit=allowance.unit,
        granted=sums[GrantKind.PERIODIC] + sums[GrantKind.ADJUSTMENT],
        topups=sums[GrantKind.TOPUP],
        rollover_in=sums[GrantKind.ROLLOVER],
        rollover_out=rollover_out,
        spent=spent,
        remaining=last.remaining,
        expired_unspent=expired,
        overspent=last.overspent if current else at_end.overspent,
    )


def _merged(rows: list[q.DayRow]) -> list[q.DayRow]:
    """Rows of the same day, provider, model and confidence (hourly and split daily ones) added together."""
    merged: dict[tuple[int, str, str, str], q.DayRow] = {}
    for r in rows:
        key = (r.day_index, r.provider, r.model, r.confidence)
        was = merged.get(key)
        if was is None:
            merged[key] = r
            continue
        cost = (
            None if was.cost_micros is None and r.cost_micros is None else (was.cost_micros or 0) + (r.cost_micros or 0)
        )
        merged[key] = q.DayRow(
            r.day_index,
            r.provider,
            r.model,
            r.confidence,
            was.input_tokens + r.input_tokens,
            was.cached_input_tokens + r.cached_input_tokens,
            was.cache_write_tokens + r.cache_write_tokens,
            was.output_tokens + r.output_tokens,
            was.reasoning_tokens + r.reasoning_tokens,
            was.requests + r.requests,
            cost,
            was.unpriced_rows + r.unpriced_rows,
            was.rows + r.rows,
            was.split or r.split,
        )
    return sorted(merged.values(), key=lambda r: (r.day_index, r.provider, r.model, r.confidence))


def _compensation(lines: list[AllowanceLine], settings: Settings) -> Compensation:
    usd = [a for a in lines if a.unit is Unit.USD]
    value = sum(a.granted + a.topups for a in usd)
    rate = Decimal(settings.currency_rate)
    salary = monthly_pay_in_display_currency(settings)
    share = share_of_pay(value, pay_in_micros(salary, rate)) if salary is not None and salary > 0 else None
    return Compensation(
        allowance_value_micros=value,
        consumed_micros=sum(a.spent for a in usd),
        forfeited_micros=sum(a.expired_unspent for a in usd),
        currency=settings.display_currency,
        currency_rate=rate,
        monthly_salary=salary,
        share_of_pay=share,
    )


def build_report(db: Database, month: str, settings: Settings, now: datetime) -> MonthlyReport:
    """The report for ``month`` (YYYY-MM) in the settings' time zone, as known at ``now``."""
    now = ensure_utc(now)
    year, mon = parse_month(month)
    tz: ZoneInfo = settings.zone()
    days = month_days(year, mon)
    bounds = [local_midnight(d, tz) for d in days]
    start, end = bounds[0], bounds[-1]
    if start > now:
        raise UserInputError(f"month {month} has not started yet; pick this month or an earlier one")
    lo, hi = int(to_epoch(start) or 0), int(to_epoch(end) or 0)

    usage_lines = []
    day_cost: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    totals: defaultdict[str, int] = defaultdict(int)
    split_rows, split = q.split_day_buckets(db, [int(to_epoch(b) or 0) for b in bounds])
    for r in _merged([*q.usage_by_day(db, lo, hi, zone_offsets(tz, lo, hi)), *split_rows]):
        line = UsageLine(
            days[r.day_index],
            redact(r.provider),
            redact(r.model),
            r.confidence,
            r.input_tokens,
            r.cached_input_tokens,
            r.cache_write_tokens,
            r.output_tokens,
            r.reasoning_tokens,
            r.requests,
            r.cost_micros,
            r.unpriced_rows,
            r.split,
        )
        usage_lines.append(line)
        cost = r.cost_micros or 0
        day_cost[r.day_index][0] += cost
        if r.confidence == "estimated":
            day_cost[r.day_index][1] += cost
        totals["cost"] += cost
        totals[r.confidence] += cost
        totals["tokens"] += line.total_tokens
        totals["requests"] += r.requests
        totals["unpriced"] += r.unpriced_rows
        totals["rows"] += r.rows

    lines = [_allowance_line(db, a, start, end, now) for a in allowances.list_allowances(db)]
    meter = ledger_count(db, start, min(end, now + timedelta(seconds=1)))
    notes = [f"Days are calendar days in {tz.key}; each usage bucket counts on the day it starts."]
    for provider in sorted({*split.by_hourly_usage, *split.by_hours}):
        how = []
        if split.by_hourly_usage.get(provider):
            how.append(f"{split.by_hourly_usage[provider]} in proportion to that day's hourly usage")
        if split.by_hours.get(provider):
            how.append(f"{split.by_hours[provider]} by the hours of overlap")
        notes.append(
            f"{provider} gives daily UTC buckets: each is split across the {tz.key} days it overlaps "
            f"({' and '.join(how)}); usage lines marked split hold such shares."
        )
    if totals["unpriced"]:
        notes.append(f"{totals['unpriced']} rows have tokens but no price (unpriced models); their cost is not known.")
    if totals["estimated"]:
        notes.append("Estimated costs come from local agent logs priced with a price catalog, not from a bill.")
    notes.extend(meter.notes)
    if now < end:
        notes.append(f"The month is not over: figures are as of {now:%Y-%m-%d %H:%M} UTC.")
    off_policy = _off_policy(db, start, min(end, now.replace(microsecond=0) + timedelta(seconds=1)))
    for policy_id in dict.fromkeys(o.policy_id for o in off_policy):
        mine = [o for o in off_policy if o.policy_id == policy_id]
        rows = sum(o.rows for o in mine)
        notes.append(
            f"Usage outside the employer policy {policy_id!r}: {format_money(sum(o.cost_micros for o in mine))} "
            f"in {rows} row{'s' if rows != 1 else ''} (see the off_policy table)."
        )

    return MonthlyReport(
        month=f"{year:04d}-{mon:02d}",
        timezone=tz.key,
        start=start,
        end=end,
        generated_at=now,
        totals=Totals(
            totals["cost"],
            totals["billed"],
            totals["reported"],
            totals["estimated"],
            totals["tokens"],
            totals["requests"],
            totals["unpriced"],
            totals["rows"],
            gateway_micros=totals["gateway"],
            subscription_micros=totals["subscription"],
            counted_micros=meter.counted,
            superseded_micros=meter.superseded,
        ),
        allowances=tuple(lines),
        usage=tuple(usage_lines),
        groups=tuple(
            GroupLine(
                "account" if g.column == "account_id" else g.column,
                redact(g.value),
                g.cost_micros,
                g.tokens,
                g.requests,
            )
            for g in q.group_totals(db, lo, hi)
        ),
        daily=tuple(DayTotal(days[i], day_cost[i][0], day_cost[i][1]) for i in range(len(days) - 1)),
        alerts=tuple(
            AlertLine(e.fired_at, e.kind, e.severity, redact(e.title), redact(e.message))
            for e in alert_store.events(db, since=start, until=end)
        ),
        audit=tuple(
            AuditLine(e.at, e.actor, e.action, e.entity, redact(e.entity_id))
            for e in audit.entries(db, since=start, until=end)
        ),
        compensation=_compensation(lines, settings),
        notes=tuple(redact(n) for n in notes),
        off_policy=off_policy,
    )


def _off_policy(db: Database, start: datetime, end: datetime) -> tuple[OffPolicyLine, ...]:
    """The month's usage outside each imported policy's restrictions, one line per route."""
    return tuple(
        OffPolicyLine(
            spend.policy_id,
            spend.revision,
            redact(o.route.provider),
            redact(o.route.model),
            o.route.region,
            o.route.cost_micros,
            o.route.tokens,
            o.route.rows,
            "; ".join(o.reasons),
        )
        for spend in policies.off_policy_spend(db, start, end)
        for o in spend.routes
    )
