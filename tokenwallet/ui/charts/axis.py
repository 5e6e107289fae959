"""Chart axes without Qt: round ticks for any range, and labels in the display currency or in tokens.

Ticks are chosen in *display* units (the display currency at the user's rate, or tokens), so an
axis in rupees has round rupee ticks, and never finer than what the labels can tell apart (one
cent for dollars, one yen for yen): a month with 30 cents of spend gets $0.00, $0.10, $0.20, $0.30,
not "0 0 0 1 1 1".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.money import SYMBOLS, group_digits, minor_units

MASK = "•••"


@dataclass(frozen=True, slots=True)
class ValueFormat:
    """How values in a chart's unit (micro-USD or tokens) are shown on its axes."""

    unit: Unit = Unit.USD
    currency: str = "USD"
    rate: Decimal = Decimal(1)  # units of ``currency`` per US dollar
    grouping: str = "western"
    hidden: bool = False  # hide amounts (screen sharing): no figure is written

    def display(self, value: float) -> float:
        """``value`` (micro-USD or tokens) in display units (currency units or tokens)."""
        if self.unit is Unit.TOKENS:
            return float(value)
        return float(Decimal(str(value)) / 1_000_000 * self.rate)

    def empty_top(self) -> float:
        """The top of an axis with nothing on it (display units): one currency unit, or 1,000 tokens."""
        return 1000.0 if self.unit is Unit.TOKENS else 1.0

    def finest_step(self) -> float:
        """The smallest step labels can tell apart: the currency's minor unit, or one token."""
        if self.unit is Unit.TOKENS:
            return 1.0
        return 10.0 ** -minor_units(self.currency)

    def labels(self, ticks: list[float]) -> list[str]:
        """Labels for ``ticks`` (display units, evenly spaced from 0): as few decimals as the step needs."""
        if self.hidden:
            return [MASK for _ in ticks]
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        if self.unit is Unit.TOKENS:
            return _token_labels(ticks, step)
        # Whole steps need no decimals; finer ones are written to the currency's minor units ($0.10).
        places = 0 if _places(step) == 0 else minor_units(self.currency)
        return [self.money(value, places) for value in ticks]

    def money(self, value: float, places: int) -> str:
        """``value`` display units of the currency with ``places`` decimals: ``$1,234.5`` → ``$1,234.50``."""
        amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        sign = "-" if amount < 0 else ""
        amount = abs(amount)
        whole = int(amount)
        fraction = f".{int((amount - whole).scaleb(places)):0{places}d}" if places > 0 else ""
        code = self.currency.upper()
        symbol = SYMBOLS.get(code, code + " ")
        return f"{sign}{symbol}{group_digits(whole, self.grouping)}{fraction}"


def _places(step: float) -> int:
    """Decimals needed to write multiples of ``step`` exactly (0 for whole steps)."""
    for places in range(10):
        if abs(round(step, places) - step) <= abs(step) * 1e-6:
            return places
    return 9


def _token_labels(ticks: list[float], step: float) -> list[str]:
    """750, 12k, 1.5M: one suffix for the whole axis, chosen by its top, with the decimals the step needs."""
    top = max(abs(t) for t in ticks)
    for divisor, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (10_000, "k")):
        if top >= divisor:
            scale = divisor if suffix != "k" else 1_000
            places = _places(step / scale)
            return ["0" if t == 0 else f"{t / scale:,.{places}f}{suffix}" for t in ticks]
    return [f"{round(t):,}" for t in ticks]


def nice_ticks(top: float, finest: float, target: int = 5) -> list[float]:
    """Round ticks from 0 to at least ``top`` (display units): about ``target`` steps of 1, 2 or 5 × 10^n.

    The step is never below ``finest`` (what labels can tell apart); an empty range gets ``target``
    steps of ``finest`` or more, so an axis is never a single line at 0.
    """
    top = max(top, 0.0)
    raw = max(top / target, finest)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw * (1 - 1e-9):
            step = factor * magnitude
            break
    count = max(1, math.ceil(top / step - 1e-9))
    places = _places(step) + 1
    return [round(i * step, places) for i in range(count + 1)]
