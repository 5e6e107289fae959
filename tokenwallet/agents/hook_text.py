"""Small text helpers the status line and the guard share (standard library only)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds to import; the annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

DAY = 86_400


def until(seconds: float) -> str:
    """'5h', '40m' or '3d' for a span of time."""
    seconds = max(0.0, seconds)
    if seconds < 3600:
        return f"{max(1, int(seconds // 60))}m"
    if seconds < DAY:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // DAY)}d"


def reset_text(row: dict[str, Any], now: float) -> str:
    """'resets in 5h' within a day, else 'resets 1 Dec'; 'reset due' once the reset has passed."""
    end = row.get("period_end")
    if not isinstance(end, int | float):
        return ""
    if end <= now:
        return "reset due"
    if end - now < DAY:
        return f"resets in {until(end - now)}"
    return f"resets {row.get('reset_day') or ''}".rstrip()


def amount_text(value: int, row: dict[str, Any]) -> str:
    """``value`` in the allowance's unit: '$4.20' or '12,000 tokens'."""
    if row.get("unit") == "usd":
        sign = "-" if value < 0 else ""
        return f"{sign}${abs(value) / 1_000_000:,.2f}"
    return f"{value:,} tokens"


def parse_amount(text: str, scale: int) -> int | None:
    """A typed amount ('5', '$5.50', '20,000') in the allowance's smallest unit; None if not one."""
    raw = text.strip().replace(",", "").replace("_", "").removeprefix("$")
    try:
        value = float(raw)
    except ValueError:
        return None
    if not (0 <= value < 1e15):  # also refuses nan and inf
        return None
    return round(value * scale)


def number(value: Any) -> float | None:
    """A JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return float(value)
