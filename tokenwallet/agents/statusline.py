"""The one line Claude Code shows above its input box: the allowance, the session and the plan windows.

``work $56.83 left · 58% · resets 1 Dec · session $0.42 · 5h 34%``

Built from the meter snapshot and the JSON Claude Code writes to the command's standard input
(``cost.total_cost_usd``, ``rate_limits.five_hour`` / ``seven_day`` when present; every field is
optional and checked).  Pure functions over plain values, standard library only.
"""

from __future__ import annotations

from tokenwallet.agents.hook_text import amount_text, number, reset_text, until

TYPE_CHECKING = False  # typing costs milliseconds to import; the annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

SEP = " · "
WEEK = 7 * 86_400
STATE_COLOURS = {"ok": "32", "warning": "33", "critical": "31", "exhausted": "1;31"}
DIM = "2"


def paint(text: str, code: str, colour: bool) -> str:
    """``text`` in an ANSI colour (nothing when colours are off)."""
    return f"\033[{code}m{text}\033[0m" if colour and code else text


def allowance_part(row: dict[str, Any], now: float, colour: bool) -> list[str]:
    """'work $56.83 left', '58%', 'resets 1 Dec' and, when value lapses within a week, '$20.00 lapses 3 Nov'."""
    name = str(row.get("name") or "allowance")
    formatted = row.get("formatted")
    if not isinstance(formatted, dict):
        formatted = {}
    state = str(row.get("state") or "ok")
    remaining = number(row.get("remaining"))
    overspent = number(row.get("overspent")) or 0
    if state == "exhausted" or (remaining is not None and remaining <= 0):
        head = f"{name} exhausted"
        if overspent > 0:
            head += f" (over by {formatted.get('overspent') or amount_text(int(overspent), row)})"
    else:
        left = formatted.get("remaining") or (amount_text(int(remaining), row) if remaining is not None else "?")
        head = f"{name} {left} left"
    parts = [paint(head, STATE_COLOURS.get(state, ""), colour)]
    percent = number(row.get("percent_used"))
    if percent is not None:
        parts.append(f"{percent:.0f}%")
    reset = reset_text(row, now)
    if reset:
        parts.append(reset)
    expiring = row.get("expiring")
    if isinstance(expiring, dict):
        at = number(expiring.get("at"))
        if at is not None and now < at <= now + WEEK:
            when = f"in {until(at - now)}" if at - now < 86_400 else str(expiring.get("day") or "")
            parts.append(f"{expiring.get('formatted') or ''} lapses {when}".strip())
    return parts


def session_parts(event: dict[str, Any], colour: bool) -> list[str]:
    """'session $0.42', '5h 34%', '7d 12%' from Claude Code's status-line input, where present."""
    parts: list[str] = []
    cost = event.get("cost")
    if isinstance(cost, dict):
        usd = number(cost.get("total_cost_usd"))
        if usd is not None and usd >= 0:
            parts.append(f"session ${usd:,.2f}")
    limits = event.get("rate_limits")
    if isinstance(limits, dict):
        for key, label in (("five_hour", "5h"), ("seven_day", "7d")):
            window = limits.get(key)
            used = number(window.get("used_percentage")) if isinstance(window, dict) else None
            if used is not None:
                code = "31" if used >= 95 else "33" if used >= 80 else ""
                parts.append(paint(f"{label} {used:.0f}%", code, colour))
    return parts


def freshness(meter: dict[str, Any], now: float) -> tuple[str, bool]:
    """A note when the figures may be out of date, and whether a refresh should start."""
    valid_until = number(meter.get("valid_until"))
    if valid_until is not None and now >= valid_until:
        return "updating", True  # a reset or an expiry has passed since the snapshot was written
    stale_after = number(meter.get("stale_after"))
    last_sync = number(meter.get("last_sync"))
    if stale_after is not None and now > stale_after and last_sync is not None:
        return f"data {until(now - last_sync)} old", False
    return "", False


def render(
    event: dict[str, Any], meter: dict[str, Any] | None, *, now: float, allowance: str | None, colour: bool
) -> tuple[str, bool]:
    """The status line, and whether the meter should be refreshed in the background."""
    session = session_parts(event, colour)
    if meter is None:
        return SEP.join(["tokenwallet: no meter yet", *session]), True
    rows = meter.get("allowances") or []
    row = None
    wanted = allowance or meter.get("primary")
    for candidate in rows:
        if isinstance(candidate, dict) and wanted and wanted in (candidate.get("name"), candidate.get("id")):
            row = candidate
            break
    if row is None and not allowance and rows and isinstance(rows[0], dict):
        row = rows[0]
    note, refresh = freshness(meter, now)
    if row is None:
        head = f"tokenwallet: no allowance {allowance!r}" if allowance else "tokenwallet: no allowance yet"
        return SEP.join([head, *session]), refresh
    parts = allowance_part(row, now, colour) + session
    if note:
        parts.append(paint(note, DIM, colour))
    return SEP.join(parts), refresh
