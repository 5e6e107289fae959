"""How the tray and the dashboard print figures: display currency, digit grouping, hidden amounts, ages.

Plain values and functions (no widgets), shared by :mod:`tokenwallet.ui.tray` and
:mod:`tokenwallet.ui.dashboard`; the settings decide the options (:func:`display_options`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.money import format_money, group_digits

if TYPE_CHECKING:
    from tokenwallet.settings import Settings

MASK = "•••"
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class DisplayOptions:
    """How to print amounts: currency, rate per USD, digit grouping and whether to hide them."""

    currency: str = "USD"
    rate: Decimal = Decimal(1)
    grouping: str = "western"
    hide_amounts: bool = False
    zone: ZoneInfo = UTC_ZONE


def display_options(settings: Settings) -> DisplayOptions:
    """How to show amounts, from the settings (a bad rate falls back to 1 rather than failing)."""
    try:
        rate = Decimal(settings.currency_rate)
    except InvalidOperation:
        rate = Decimal(1)
    return DisplayOptions(
        currency=settings.display_currency,
        rate=rate if settings.display_currency != "USD" else Decimal(1),
        grouping=settings.number_grouping,
        hide_amounts=settings.hide_amounts,
        zone=settings.zone(),
    )


def format_amount(amount: int, unit: Unit, options: DisplayOptions) -> str:
    """An allowance amount for people: money in the display currency, or a token count."""
    if options.hide_amounts:
        return MASK
    sign = "-" if amount < 0 else ""
    if unit is Unit.TOKENS:
        value = abs(amount)
        if value >= 1_000_000:
            return f"{sign}{Decimal(value) / 1_000_000:.1f}M tok"
        if value >= 10_000:
            return f"{sign}{value // 1000}k tok"
        return f"{sign}{group_digits(value, options.grouping)} tok"
    return format_money(amount, options.currency, rate=options.rate, grouping=options.grouping)


def describe_age(then: datetime | None, now: datetime) -> str:
    """'just now', '4 min ago', '3 h ago' or 'never'."""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86_400 * 2:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86_400} days ago"


def days_text(days: float) -> str:
    """A span of days written the same way everywhere: '45 min', '5 h', '1 day', '1.4 days', '12 days'."""
    days = max(days, 0.0)
    if days < 1 / 24:
        return f"{max(1, round(days * 24 * 60))} min"
    if days < 1:
        hours = round(days * 24)
        return "1 day" if hours >= 24 else f"{hours} h"
    tenths = round(days, 1)
    if tenths == 1:
        return "1 day"
    return f"{tenths:.1f} days" if tenths < 10 else f"{round(days)} days"
