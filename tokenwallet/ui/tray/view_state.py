"""What the tray shows, as plain values built from allowance statuses (no widgets, easy to test).

The tray controller renders a :class:`TrayViewState`; this module decides the severity, the
tooltip and the menu lines so that logic is testable without a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from tokenwallet.domain.allowance import AllowanceStatus, Unit
from tokenwallet.ui.display import DisplayOptions, days_text, describe_age, format_amount
from tokenwallet.ui.locale_dates import format_moment
from tokenwallet.ui.tray.meter_state import Badge as Badge  # re-exported: the enums live apart for a fast start
from tokenwallet.ui.tray.meter_state import Severity as Severity

if TYPE_CHECKING:
    from tokenwallet.services.provider_limits import ProviderLimit
    from tokenwallet.services.snapshot import MonthToDate

WARNING_PERCENT = 80.0
CRITICAL_PERCENT = 95.0
STALE_AFTER_MISSED_POLLS = 3


@dataclass(frozen=True, slots=True)
class MenuLine:
    """One allowance in the tray menu."""

    allowance_id: str
    text: str
    severity: Severity


@dataclass(frozen=True, slots=True)
class TrayViewState:
    """Everything the tray icon, its tooltip and its menu show."""

    percent: float | None
    severity: Severity
    badge: Badge
    tooltip: str
    lines: tuple[MenuLine, ...]
    demo: bool = False
    limit_lines: tuple[MenuLine, ...] = ()
    """The providers' own limits (LiteLLM budgets, OpenRouter key limit, balances, Codex windows)."""


def severity_for(status: AllowanceStatus) -> Severity:
    """The state of one allowance from its share used; exhausted when used up or overspent."""
    if status.overspent > 0 or (status.granted > 0 and status.remaining <= 0):
        return Severity.EXHAUSTED
    if status.percent_used >= CRITICAL_PERCENT:
        return Severity.CRITICAL
    if status.percent_used >= WARNING_PERCENT or (
        status.projected_runout is not None and status.projected_runout < status.period_end
    ):
        return Severity.WARNING
    return Severity.OK


def is_stale(last_update: datetime | None, now: datetime, poll_interval: timedelta) -> bool:
    """Data older than a few missed polls is stale (never-updated data is not: it is empty)."""
    if last_update is None:
        return False
    return now - last_update > poll_interval * STALE_AFTER_MISSED_POLLS


def _when(at: datetime, options: DisplayOptions) -> str:
    return format_moment(at, options.zone)


def standing(status: AllowanceStatus, options: DisplayOptions) -> str:
    """'$42.10 left of $200.00', or over the allowance: '$11.74 over $270.00'."""
    granted = format_amount(status.granted, status.unit, options)
    if status.overspent > 0:
        return f"{format_amount(status.overspent, status.unit, options)} over {granted}"
    return f"{format_amount(status.remaining, status.unit, options)} left of {granted}"


def share_text(status: AllowanceStatus) -> str:
    """'79% used', or over the allowance '104% spent' (the share beyond 100 says by how much)."""
    if status.overspent > 0:
        return f"{status.percent_spent:.0f}% spent"
    return f"{status.percent_used:.0f}% used"


def allowance_line(status: AllowanceStatus, options: DisplayOptions) -> str:
    """'Work: $42.10 left of $200.00 · 79% used · 12 days left' (over: '$11.74 over $270.00 · 104% spent')."""
    estimate = " (incl. estimates)" if status.estimated_spent else ""
    return (
        f"{status.name}: {standing(status, options)} · {share_text(status)}{estimate}"
        f" · {days_text(status.days_left)} left"
    )


def limit_money(limit: ProviderLimit, options: DisplayOptions, micros: int) -> str:
    """An amount of a provider limit: USD ones in the display currency, a balance in CNY as CNY."""
    if limit.snapshot.currency == "USD":
        return format_amount(micros, Unit.USD, options)
    own = DisplayOptions(limit.snapshot.currency, Decimal(1), options.grouping, options.hide_amounts, options.zone)
    return format_amount(micros, Unit.USD, own)


def limit_standing(limit: ProviderLimit, options: DisplayOptions) -> str:
    """'$12.40 left of $50.00', '$3.10 over $50.00', '¥80.00 left', '35% used' (a plan window); '' if unknown."""
    s = limit.snapshot
    if limit.is_window:
        return f"{s.used_percent or 0:.0f}% used"
    left = limit.left
    if left is None:
        return ""
    if s.limit_micros is None:
        return f"{limit_money(limit, options, left)} left"
    of = limit_money(limit, options, s.limit_micros)
    if left < 0:
        return f"{limit_money(limit, options, -left)} over {of}"
    return f"{limit_money(limit, options, left)} left of {of}"


def limit_line(limit: ProviderLimit, options: DisplayOptions, now: datetime) -> str:
    """One provider limit in a line: 'LiteLLM key budget (work): $12.40 left of $50.00 · resets in 1.4 days'."""
    s = limit.snapshot
    head = f"{limit.title} ({limit.account.label})"
    parts = [p for p in (limit_standing(limit, options),) if p]
    if s.resets_at is not None and s.resets_at > now:
        parts.append(f"resets in {days_text((s.resets_at - now).total_seconds() / 86_400)}")
    if s.expires_at is not None:
        parts.append(f"key expires {_when(s.expires_at, options)}" if s.expires_at > now else "key expired")
    return head + (": " + " · ".join(parts) if parts else "")


def limit_severity(limit: ProviderLimit) -> Severity:
    """The colour of a limit's dot: by share used, or exhausted when nothing is left."""
    left = limit.left
    percent = limit.percent_used
    if (left is not None and left <= 0 and not limit.is_window) or (percent is not None and percent >= 100):
        return Severity.EXHAUSTED
    if percent is None:
        return Severity.OK
    if percent >= CRITICAL_PERCENT:
        return Severity.CRITICAL
    if percent >= WARNING_PERCENT:
        return Severity.WARNING
    return Severity.OK


def tooltip_for(
    status: AllowanceStatus | None,
    *,
    now: datetime,
    last_update: datetime | None,
    badge: Badge,
    options: DisplayOptions,
    demo: bool = False,
    month: MonthToDate | None = None,
) -> str:
    """The tooltip: remaining (or overspent), share used, days left, next reset or expiry, last update."""
    head = "tokenwallet — Demo data" if demo else "tokenwallet"
    if status is None:
        if month is not None:
            spent = format_amount(month.status.period_spent, Unit.USD, options)
            lines = [head, f"This month so far: {spent}", "No allowance yet: make one in the dashboard."]
        else:
            return f"{head}\nNo allowance yet: open Settings to add one."
    else:
        if status.overspent > 0:
            first = f"{status.name}: {format_amount(status.overspent, status.unit, options)} over the allowance"
        else:
            first = f"{status.name}: {format_amount(status.remaining, status.unit, options)} left"
        lines = [head, first, f"{share_text(status)} · {days_text(status.days_left)} left"]
        expiring = sorted(status.expiring, key=lambda e: e.at)
        if expiring and expiring[0].at < status.period_end and expiring[0].projected_unspent > 0:
            lines.append(f"Expires {_when(expiring[0].at, options)}")
        else:
            lines.append(f"Resets {_when(status.period_end, options)}")
    lines.append(f"Updated {describe_age(last_update, now)}")
    if badge is Badge.STALE:
        lines.append("Data is stale: the last polls did not arrive")
    elif badge is Badge.ERROR:
        lines.append("Last poll failed: see the dashboard")
    elif badge is Badge.PAUSED:
        lines.append("Polling paused")
    return "\n".join(lines)


def build_view_state(
    statuses: list[AllowanceStatus],
    *,
    primary_id: str,
    now: datetime,
    last_update: datetime | None,
    failing: bool,
    paused: bool,
    poll_interval: timedelta,
    options: DisplayOptions,
    demo: bool = False,
    limits: Sequence[ProviderLimit] = (),
    month: MonthToDate | None = None,
) -> TrayViewState:
    """Build the tray's state; the primary allowance is the configured one, else the tightest.

    With no allowance but spend this month (``month``), the menu and tooltip show the month so far.
    """
    primary = pick_primary(statuses, primary_id)
    if paused:
        badge = Badge.PAUSED
    elif failing:
        badge = Badge.ERROR
    elif is_stale(last_update, now, poll_interval):
        badge = Badge.STALE
    else:
        badge = Badge.NONE
    lines = tuple(MenuLine(s.allowance_id, allowance_line(s, options), severity_for(s)) for s in statuses)
    if not statuses and month is not None:
        spent = format_amount(month.status.period_spent, Unit.USD, options)
        lines = (MenuLine("", f"This month so far: {spent} · no allowance yet", Severity.NONE),)
    return TrayViewState(
        percent=None if primary is None else (primary.percent_spent if primary.overspent else primary.percent_used),
        severity=Severity.NONE if primary is None else severity_for(primary),
        badge=badge,
        tooltip=tooltip_for(
            primary, now=now, last_update=last_update, badge=badge, options=options, demo=demo, month=month
        ),
        lines=lines,
        demo=demo,
        limit_lines=tuple(
            MenuLine(
                f"{x.account.id}:{x.snapshot.kind.value}:{x.snapshot.name}",
                limit_line(x, options, now),
                limit_severity(x),
            )
            for x in limits
        ),
    )


def pick_primary(statuses: list[AllowanceStatus], primary_id: str) -> AllowanceStatus | None:
    """The allowance named in settings, else the one with the highest share used."""
    if not statuses:
        return None
    for status in statuses:
        if primary_id and primary_id in (status.allowance_id, status.name):
            return status
    return max(statuses, key=lambda s: s.percent_spent)
