"""What the tray shows, as plain values built from allowance statuses (no widgets, easy to test).

The tray controller renders a :class:`TrayViewState`; this module decides the severity, the
tooltip and the menu lines so that logic is testable without a display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tokenwallet.domain.allowance import AllowanceStatus
from tokenwallet.ui.display import DisplayOptions, describe_age, format_amount
from tokenwallet.ui.tray.meter_state import Badge as Badge  # re-exported: the enums live apart for a fast start
from tokenwallet.ui.tray.meter_state import Severity as Severity

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


def severity_for(status: AllowanceStatus) -> Severity:
    """The state of one allowance from its share used."""
    if status.granted > 0 and status.remaining <= 0:
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
    return at.astimezone(options.zone).strftime("%a %d %b %H:%M")


def allowance_line(status: AllowanceStatus, options: DisplayOptions) -> str:
    """'Work: $42.10 left of $200.00 · 79% used · 12 days left'."""
    left = format_amount(status.remaining, status.unit, options)
    granted = format_amount(status.granted, status.unit, options)
    estimate = " (incl. estimates)" if status.estimated_spent else ""
    return (
        f"{status.name}: {left} left of {granted} · {status.percent_used:.0f}% used{estimate}"
        f" · {status.days_left:.0f} days left"
    )


def tooltip_for(
    status: AllowanceStatus | None,
    *,
    now: datetime,
    last_update: datetime | None,
    badge: Badge,
    options: DisplayOptions,
    demo: bool = False,
) -> str:
    """The tooltip: remaining, percent used, days left, next reset or expiry, time of last update."""
    head = "tokenwallet — Demo data" if demo else "tokenwallet"
    if status is None:
        return f"{head}\nNo allowance yet: open Settings to add one."
    lines = [
        head,
        f"{status.name}: {format_amount(status.remaining, status.unit, options)} left",
        f"{status.percent_used:.0f}% used · {status.days_left:.1f} days left",
    ]
    expiring = sorted(status.expiring, key=lambda e: e.at)
    if expiring and expiring[0].at < status.period_end:
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
) -> TrayViewState:
    """Build the tray's state; the primary allowance is the configured one, else the tightest."""
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
    return TrayViewState(
        percent=None if primary is None else primary.percent_used,
        severity=Severity.NONE if primary is None else severity_for(primary),
        badge=badge,
        tooltip=tooltip_for(primary, now=now, last_update=last_update, badge=badge, options=options, demo=demo),
        lines=lines,
        demo=demo,
    )


def pick_primary(statuses: list[AllowanceStatus], primary_id: str) -> AllowanceStatus | None:
    """The allowance named in settings, else the one with the highest share used."""
    if not statuses:
        return None
    for status in statuses:
        if primary_id and primary_id in (status.allowance_id, status.name):
            return status
    return max(statuses, key=lambda s: s.percent_used)
