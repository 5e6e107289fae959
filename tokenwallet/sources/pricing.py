"""Token prices from the genai-prices catalog, as exact integer micro-USD.

The catalog quotes Decimal USD per million tokens, so a rate of ``r`` $/MTok is ``r`` micro-USD per
token.  Rates are resolved once per (model, UTC day, variant) -- the catalog dates prices by the
request timestamp -- and kept as integers in units of 1e-6 micro-USD, so pricing a log entry is a
handful of integer multiplications instead of a catalog lookup.

An unknown model (genai-prices raises ``LookupError``) prices as ``None``: *unpriced*, never $0.
Published prices the catalog lacks (a long-context tier, a dated rate) come from
:mod:`tokenwallet.sources.price_overrides`, applied by the request's day like the catalog's own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from tokenwallet.domain.money import Micros
from tokenwallet.sources.price_overrides import OVERRIDES, PriceOverride, overrides_for

if TYPE_CHECKING:
    from genai_prices.types import ModelPrice, TieredPrices

    from tokenwallet.sources.price_table import PriceTable

_SCALE = 1_000_000  # rates are stored in 1e-6 micro-USD per token
PRICE_SCALE = _SCALE
"""Rates (:class:`ModelRates`) are integers in units of ``1 / PRICE_SCALE`` micro-USD per token."""
FAST_MULTIPLIER = 6
"""Anthropic bills fast mode at six times the standard rate; used when the catalog has no fast variant."""

SYNTHETIC = "<synthetic>"
"""Claude Code's name for messages it generates itself (no API call, so no cost)."""
NOT_A_MODEL = frozenset({SYNTHETIC, ""})

Rate = tuple[int, tuple[tuple[int, int], ...]]
"""(base rate, ((tier start, tier rate), ...)) in 1e-6 micro-USD per token."""


def _scaled(value: Decimal) -> int:
    return int(value * _SCALE)


def _rate(value: Decimal | TieredPrices | None) -> Rate | None:
    if value is None:
        return None
    from genai_prices.types import TieredPrices  # the catalog loads on the first price asked for

    if isinstance(value, TieredPrices):
        return _scaled(value.base), tuple((t.start, _scaled(t.price)) for t in value.tiers)
    return _scaled(value), ()


def _pick(rate: Rate, total_input: int) -> int:
    """The rate for a request with ``total_input`` input tokens (the catalog's cliff tiers)."""
    base, tiers = rate
    for start, price in tiers:
        if total_input > start:
            base = price
    return base


class ModelRates(msgspec.Struct, frozen=True):
    """Resolved per-token rates of one model on one day."""

    model_id: str
    provider_id: str
    input: Rate
    output: Rate
    cache_read: Rate
    cache_write_5m: Rate
    cache_write_1h: Rate
    multiplier: int = 1
    flat: tuple[int, int, int, int, int] | None = None
    """The five base rates when none of them has tiers, or all share one cliff (``cliff``)."""
    cliff: tuple[int, tuple[int, int, int, int, int]] | None = None
    """(threshold, the five rates) when one tier start holds for every kind: above it, these rates."""

    def cost(
        self, input_tokens: int, output_tokens: int, cache_read: int = 0, cache_5m: int = 0, cache_1h: int = 0
    ) -> Micros:
        """Micro-USD for one request; ``input_tokens`` excludes cache reads and cache writes.

        The arguments may be passed by position (the log scans price hundreds of thousands of requests).
        """
        flat = self.flat
        if flat is not None:  # no tiers or a single cliff: the common case, without picking rates per kind
            cliff = self.cliff
            if cliff is not None and input_tokens + cache_read + cache_5m + cache_1h > cliff[0]:
                flat = cliff[1]
            scaled = (
                input_tokens * flat[0]
                + output_tokens * flat[1]
                + cache_read * flat[2]
                + cache_5m * flat[3]
                + cache_1h * flat[4]
            ) * self.multiplier
            return (scaled + _SCALE // 2) // _SCALE
        total_input = input_tokens + cache_read + cache_5m + cache_1h
        scaled = (
            input_tokens * _pick(self.input, total_input)
            + output_tokens * _pick(self.output, total_input)
            + cache_read * _pick(self.cache_read, total_input)
            + cache_5m * _pick(self.cache_write_5m, total_input)
            + cache_1h * _pick(self.cache_write_1h, total_input)
        ) * self.multiplier
        # Round half up at the micro-dollar; one rounding per request.
        return (scaled + _SCALE // 2) // _SCALE


_KINDS = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")
"""The order of the five rates in :func:`_resolve`, named as in an override."""


def _override(rates: list[Rate], override: PriceOverride) -> list[Rate]:
    """Apply one entry of the override table to the five rates (in :data:`_KINDS` order)."""
    out = [
        (_scaled(override.base[kind]), tiers) if kind in override.base else (base, tiers)
        for kind, (base, tiers) in zip(_KINDS, rates, strict=True)
    ]
    tier = override.long_context
    if tier is not None and not any(tiers for _, tiers in out):  # the catalog's own tiers win
        out = [
            (base, ((tier.threshold, _scaled(getattr(tier.rates, kind))),))
            for kind, (base, _) in zip(_KINDS, out, strict=True)
        ]
    return out


def _resolve(
    price: ModelPrice, model_id: str, provider_id: str, multiplier: int, overrides: list[PriceOverride] | None = None
) -> ModelRates:
    get = price.__dict__.get
    inp = _rate(get("input_mtok")) or (0, ())
    write_5m = _rate(get("cache_write_mtok")) or inp
    # Anthropic's 1-hour cache writes cost twice the input rate when the catalog has no explicit price.
    write_1h = _rate(get("cache_write_1h_mtok")) or (inp[0] * 2, tuple((s, r * 2) for s, r in inp[1]))
    output = _rate(get("output_mtok")) or (0, ())
    cache_read = _rate(get("cache_read_mtok")) or inp
    rates = [inp, output, cache_read, write_5m, write_1h]
    for override in overrides or ():
        rates = _override(rates, override)
    inp, output, cache_read, write_5m, write_1h = rates
    bases = (inp[0], output[0], cache_read[0], write_5m[0], write_1h[0])
    starts = {start for _, tiers in rates for start, _ in tiers}
    flat: tuple[int, int, int, int, int] | None = bases
    cliff = None
    if len(starts) == 1 and all(len(tiers) <= 1 for _, tiers in rates):
        (start,) = starts
        above = tuple(tiers[0][1] if tiers else base for base, tiers in rates)
        cliff = (start, (above[0], above[1], above[2], above[3], above[4]))
    elif starts:
        flat = None  # several tiers: pick per kind
    return ModelRates(
        model_id=model_id,
        provider_id=provider_id,
        input=inp,
        output=output,
        cache_read=cache_read,
        cache_write_5m=write_5m,
        cache_write_1h=write_1h,
        multiplier=multiplier,
        flat=flat,
        cliff=cliff,
    )


def load_catalog() -> None:
    """Load the price catalog now (it otherwise loads on the first price asked for).

    A process about to fork workers calls this first, so they inherit the catalog instead of
    each loading it again.
    """
    from genai_prices.data_snapshot import get_snapshot

    get_snapshot()


class PriceBook:
    """Looks up and caches rates per (model, UTC day, variant); ``None`` means unpriced.

    With a ``table`` (:class:`~tokenwallet.sources.price_table.PriceTable`), rates come from it
    and the catalog loads only for a model the table does not know yet.
    """

    def __init__(self, *, provider_id: str | None = None, table: PriceTable | None = None) -> None:
        self._provider_id = provider_id
        self._table = table
        self._cache: dict[tuple[str, date, str], ModelRates | None] = {}
        self._by_day: dict[tuple[str, str], Callable[[date], ModelRates | None] | None] = {}
        self.unpriced: set[str] = set()

    def rates(self, model: str, at: datetime | date, *, variant: str = "") -> ModelRates | None:
        """Rates for ``model`` on the day of ``at``; variant ``fast`` (Claude) or ``priority`` (Codex)."""
        day = at.astimezone(UTC).date() if isinstance(at, datetime) else at
        key = (model, day, variant)
        try:
            return self._cache[key]
        except KeyError:
            pass
        on = self._days(model, variant) if self._table is not None else None
        found = on(day) if on is not None else self._lookup(model, day, variant)
        self._cache[key] = found
        if found is None and model != SYNTHETIC:
            self.unpriced.add(model)
        return found

    def _days(self, model: str, variant: str) -> Callable[[date], ModelRates | None] | None:
        key = (model, variant)
        if key not in self._by_day:
            assert self._table is not None
            self._by_day[key] = self._table.spans(self._provider_id, model, variant, lambda: self.spans(model, variant))
        return self._by_day[key]

    def _find(self, model: str) -> tuple[Any, Any] | None:
        """The catalog's (provider, model info) for ``model``, or ``None`` when it does not know it."""
        from genai_prices.data_snapshot import get_snapshot

        snapshot = get_snapshot()
        try:
            return snapshot.find_provider_model(model, None, self._provider_id, None)
        except LookupError:
            if self._provider_id is None:
                return None
            try:
                return snapshot.find_provider_model(model, None, None, None)
            except LookupError:
                return None

    def spans(self, model: str, variant: str = "") -> list[tuple[date, ModelRates | None]] | None:
        """The rates of ``model`` over every span of days with one price, from the catalog, by first day.

        A price changes only on the start dates of the catalog's dated prices and on the bounds of
        an override, so the rates on those days tell every day.  ``None`` when the catalog dates a
        price by something else (then it is asked day by day).
        """
        if model in NOT_A_MODEL:
            return [(date.min, None)]
        found = self._find(model)
        if found is None:
            return [(date.min, None)]
        provider, info = found
        from genai_prices.types import StartDateConstraint, TimeOfDateConstraint

        days = {date.min}
        dated = [*(info.prices if isinstance(info.prices, list) else ()), *(info.price_variants or ())]
        for conditional in dated:
            constraint = conditional.constraint
            if isinstance(constraint, StartDateConstraint):
                days.add(constraint.start_date)
            elif constraint is not None and not isinstance(constraint, TimeOfDateConstraint):
                return None  # a kind of date this does not know
            # A time-of-day price is the same every day here: each day is priced at noon UTC.
        for override in OVERRIDES:
            if override.provider_id == provider.id and override.model_id == info.id:
                days.update(d for d in (override.starts, override.ends) if d is not None)
        return [(day, self._lookup(model, day, variant)) for day in sorted(days)]

    def _lookup(self, model: str, day: date, variant: str) -> ModelRates | None:
        if model in NOT_A_MODEL:
            return None
        found = self._find(model)
        if found is None:
            return None
        provider, info = found
        when = datetime.combine(day, time(12), tzinfo=UTC)
        multiplier = 1
        context = None
        if variant == "priority":
            context = {"service_tier": "priority"}
        price = info.get_prices(when, context)
        if variant == "fast":
            multiplier = FAST_MULTIPLIER
        if variant == "priority" and price == info.get_prices(when):
            multiplier = 2  # no priority price in the catalog: Codex bills priority at twice the rate
        return _resolve(price, info.id, provider.id, multiplier, overrides_for(provider.id, info.id, day))

    def cost(
        self,
        model: str,
        at: datetime | date,
        *,
        input_tokens: int,
        output_tokens: int,
        cache_read: int = 0,
        cache_5m: int = 0,
        cache_1h: int = 0,
        variant: str = "",
    ) -> Micros | None:
        """Micro-USD for one request, or ``None`` when the model is not in the catalog."""
        rates = self.rates(model, at, variant=variant)
        if rates is None:
            return 0 if model == SYNTHETIC else None
        return rates.cost(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read=cache_read,
            cache_5m=cache_5m,
            cache_1h=cache_1h,
        )
