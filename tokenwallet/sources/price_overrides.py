"""Prices the genai-prices catalog lacks, each with the provider's page that publishes it.

The catalog is right for almost every model; this table holds the few published prices it does
not carry, so that a log-derived estimate is what the provider bills.  An entry applies to one
catalog model (every dated id and alias the catalog resolves to it) on the request days in
``[starts, ends)``, exactly like the catalog's own dated prices.  Two kinds of entry:

* ``long_context``: a tier the catalog lacks.  A request whose input (input + cache reads +
  cache writes) exceeds ``threshold`` tokens pays the tier's rates on *all* its tokens, output
  included (the catalog's cliff tiers work the same way).  When the catalog already has a tier
  for that model and day, the catalog wins and the entry is not used.
* ``base``: published base rates that replace the catalog's for those days (a dated price the
  catalog lists undated).

Rates are dollars per million tokens, written as the provider's page prints them.  When the
catalog gains one of these prices, the test that checks every entry against the catalog fails
and the entry can go.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec

ANTHROPIC_PRICING = "https://platform.claude.com/docs/en/about-claude/pricing"


class TierRates(msgspec.Struct, frozen=True):
    """Dollars per million tokens of every kind, for a request in the tier."""

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal


class LongContext(msgspec.Struct, frozen=True):
    """A long-context tier: above ``threshold`` input tokens every token of a request pays ``rates``."""

    threshold: int
    rates: TierRates


class PriceOverride(msgspec.Struct, frozen=True):
    """Published prices of one catalog model that the catalog lacks, on days ``[starts, ends)``."""

    provider_id: str
    model_id: str
    """The catalog's id for the model (dated ids and aliases resolve to it)."""
    starts: date
    ends: date | None
    source: str
    """The provider's page that publishes these prices."""
    why: str
    long_context: LongContext | None = None
    base: dict[str, Decimal] = msgspec.field(default_factory=dict)
    """Base rates replaced, by kind: ``input``, ``output``, ``cache_read``, ``cache_write_5m``, ``cache_write_1h``."""

    def applies(self, provider_id: str, model_id: str, day: date) -> bool:
        """True for this model on ``day``."""
        return (
            provider_id == self.provider_id
            and model_id == self.model_id
            and self.starts <= day
            and (self.ends is None or day < self.ends)
        )


OVERRIDES: tuple[PriceOverride, ...] = (
    PriceOverride(
        provider_id="anthropic",
        model_id="claude-sonnet-4-0",  # claude-sonnet-4-20250514, claude-sonnet-4-0, claude-sonnet-4
        # The 1M-token context window (beta) and its long-context rates were announced on 2025-08-12;
        # before, a request could not exceed 200k tokens.
        starts=date(2025, 8, 12),
        ends=None,
        source=f"{ANTHROPIC_PRICING}#long-context-pricing",
        why="the catalog has Claude Sonnet 4 at the base rate only; Anthropic bills a request over 200k "
        "input tokens at $6 input / $22.50 output, with the prompt-caching multipliers on top "
        "(5-minute writes 1.25x, 1-hour writes 2x, cache reads 0.1x of $6)",
        long_context=LongContext(
            threshold=200_000,
            rates=TierRates(
                input=Decimal("6"),
                output=Decimal("22.50"),
                cache_read=Decimal("0.60"),
                cache_write_5m=Decimal("7.50"),
                cache_write_1h=Decimal("12"),
            ),
        ),
    ),
    PriceOverride(
        provider_id="anthropic",
        model_id="claude-sonnet-5-5",
        # Released 2026-09-28 with cache hits at $0.20; cut to $0.10 on 2026-10-07, the only price
        # the catalog lists.
        starts=date(2026, 9, 28),
        ends=date(2026, 10, 7),
        source="https://platform.claude.com/docs/en/models/sonnet-5-5/overview",
        why="the catalog lists Claude Sonnet 5.5 cache reads at $0.10 undated; until the cut of "
        "2026-10-07 Anthropic billed $0.20",
        base={"cache_read": Decimal("0.20")},
    ),
)
"""Every override, at most one per model and day."""


def overrides_for(provider_id: str, model_id: str, day: date) -> list[PriceOverride]:
    """The entries that apply to ``model_id`` (the catalog's id) on ``day``."""
    return [o for o in OVERRIDES if o.applies(provider_id, model_id, day)]
