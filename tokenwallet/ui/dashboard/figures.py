"""What an allowance card says, as plain text built from a status (no widgets, tested on their own).

The card, the tray and the chart agree because they take their figures from here: spend so far
(the gateway's own count for a gateway-backed allowance), over the allowance by how much, the
pace, what will lapse unspent, and how each figure was counted (streams, estimates, split days).
"""

from __future__ import annotations

from collections.abc import Callable

from tokenwallet.domain.allowance import AllowanceStatus
from tokenwallet.domain.usage import Confidence
from tokenwallet.ui.display import DisplayOptions, days_text, format_amount
from tokenwallet.ui.locale_dates import format_date, format_day

PACE_MARGIN = 0.05  # within 5 points of the elapsed share counts as "on pace"

_CONFIDENCE_WORDS = {
    Confidence.BILLED: "billed",
    Confidence.GATEWAY: "gateway",
    Confidence.REPORTED: "reported",
    Confidence.ESTIMATED: "estimated",
    Confidence.SUBSCRIPTION: "subscription",
}


def spent(status: AllowanceStatus) -> int:
    """Spend so far in the period as the meter counts it; a gateway-backed allowance: the gateway's count."""
    if status.backed_by:
        return status.spent + status.overspent
    return status.period_spent


def available(status: AllowanceStatus) -> int:
    """What the period had to spend: spent in it (what no grant covered left out) plus what remains.

    Not ``granted``: a top-up or rollover partly spent in an earlier period still counts there in
    full.  A gateway-backed allowance has the gateway's limit.
    """
    if status.backed_by:
        return status.granted
    return status.period_spent - status.overspent + status.remaining


def share_spent(status: AllowanceStatus) -> float:
    """Spend as a share of the allowance, 0..1 and beyond when overspent."""
    return status.percent_spent / 100 if status.overspent else status.percent_used / 100


def pace_words(status: AllowanceStatus) -> str:
    """'ahead of pace', 'behind pace' or 'on pace' (never said of an allowance already overspent)."""
    ahead = status.percent_used / 100 - status.elapsed_fraction
    if ahead > PACE_MARGIN:
        return "ahead of pace"
    if ahead < -PACE_MARGIN:
        return "behind pace"
    return "on pace"


def summary(status: AllowanceStatus, options: DisplayOptions) -> str:
    """The card's line under the bar: share used and pace, or by how much it is over; then the reset."""
    reset = f"resets {format_date(status.period_end, options.zone)} (in {days_text(status.days_left)})"
    if status.overspent > 0:
        over = format_amount(status.overspent, status.unit, options)
        return f"Over the allowance by {over} ({status.percent_spent:.0f}% spent) · {reset}"
    if status.granted > 0 and status.remaining <= 0:
        return f"Used up (100% used) · {reset}"
    elapsed = status.elapsed_fraction * 100
    return f"{status.percent_used:.0f}% used, {elapsed:.0f}% of the period gone ({pace_words(status)}) · {reset}"


def runs_out(status: AllowanceStatus, options: DisplayOptions) -> str:
    """When the allowance runs out at the current pace."""
    if status.overspent > 0 or (status.granted > 0 and status.remaining <= 0):
        return "used up"
    if status.projected_runout is None:
        return "not before the reset"
    days = (status.projected_runout - status.now).total_seconds() / 86_400
    return f"{format_date(status.projected_runout, options.zone)} (in {days_text(days)})"


def expiring(status: AllowanceStatus, options: DisplayOptions) -> str | None:
    """Value that will lapse unspent at the current pace, and the daily spend that would use it.

    None when nothing will lapse (no "$0.00 expiring, spend $4.63/day" line), and only for
    expiries within the period: a key that expires after its budget resets lapses nothing.
    """
    lapsing = sorted(
        (e for e in status.expiring if e.projected_unspent > 0 and e.at <= status.period_end),
        key=lambda e: e.at,
    )
    if not lapsing:
        return None
    first = lapsing[0]
    amount = format_amount(first.projected_unspent, status.unit, options)
    pace = format_amount(round(first.daily_pace_needed), status.unit, options)
    return f"{amount} on {format_date(first.at, options.zone)} — spend {pace}/day to use it"


def counting_lines(status: AllowanceStatus, options: DisplayOptions, label: Callable[[str], str]) -> list[str]:
    """How the spend figure was counted, one line per stream and per split day (amounts masked if hidden)."""

    def fmt(amount: int) -> str:
        return format_amount(amount, status.unit, options)

    lines: list[str] = []
    for figure in sorted(status.streams, key=lambda f: (-f.total, f.stream)):
        words = _CONFIDENCE_WORDS.get(figure.confidence, figure.confidence.value)
        basis = f", {figure.basis}" if figure.basis else ""
        text = f"{label(figure.stream)}: {fmt(figure.counted)} counted ({words}{basis})"
        if figure.superseded:
            by = label(figure.covered_by) if figure.covered_by else "the account it is billed through"
            text += f"; {fmt(figure.superseded)} of estimates replaced by what {by} reported"
        if figure.excluded:
            text += f"; {fmt(figure.excluded)} API-equivalent subscription value not counted"
        lines.append(text)
    if status.estimated_spent:
        lines.append(f"Estimated from local logs (not billed): {fmt(status.estimated_spent)}")
    for split in status.splits:
        lines.append(
            f"Split day: {label(split.stream)}'s UTC day {format_day(split.day)} ({fmt(split.amount)}) counts "
            f"{fmt(split.in_period)} in this period, by {split.by}"
        )
    if status.unpriced_records:
        lines.append(f"{status.unpriced_records:,} record(s) without a price are not counted")
    if status.backed_by:
        lines.append(f"Spend, limit and reset come from the gateway ({label(status.backed_by.split(':')[0])})")
    return lines
