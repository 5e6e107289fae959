"""Prices from genai-prices as integer micro-USD, dated, tiered, with unknown models unpriced."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from genai_prices import Usage, calc_price

from tokenwallet.domain.money import usd_to_micros
from tokenwallet.sources.pricing import FAST_MULTIPLIER, PriceBook

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "model",
    # Claude Sonnet 4 is left out: above 200k input its long-context tier comes from the override
    # table, not the catalog (test_price_tiers.py checks it against the published rates).
    ["claude-opus-4-6", "claude-haiku-4-5-20251001", "claude-sonnet-4-5", "claude-haiku-5-5", "gpt-5-codex"],
)
@pytest.mark.parametrize("tokens", [(10, 300, 2000, 1500, 0), (50, 40_000, 150_000, 30_000, 20_000)])
def test_matches_the_catalog_calculation(model: str, tokens: tuple[int, int, int, int, int]) -> None:
    inp, out, read, w5, w1 = tokens
    if model.startswith("gpt"):
        w5 = w1 = 0  # OpenAI has no cache-write price
    ours = PriceBook().cost(model, AT, input_tokens=inp, output_tokens=out, cache_read=read, cache_5m=w5, cache_1h=w1)
    # genai-prices counts cached and cache-write tokens inside input_tokens.
    usage = Usage(
        input_tokens=inp + read + w5 + w1,
        output_tokens=out,
        cache_read_tokens=read,
        cache_write_tokens=w5 + w1,
        cache_write_1h_tokens=w1 or None,
    )  # type: ignore[call-arg]
    expected = usd_to_micros(calc_price(usage, model, genai_request_timestamp=AT).total_price)
    assert ours is not None and abs(ours - expected) <= 1


def test_long_context_uses_the_catalog_cliff() -> None:
    book = PriceBook()
    below = book.cost("claude-sonnet-4-5", AT, input_tokens=199_000, output_tokens=0)
    above = book.cost("claude-sonnet-4-5", AT, input_tokens=201_000, output_tokens=0)
    assert below == 199_000 * 3
    assert above == 201_000 * 6  # every token at the higher rate once the request crosses 200k


def test_unknown_model_is_unpriced_not_zero() -> None:
    book = PriceBook(provider_id="anthropic")
    assert book.cost("claude-imaginary-9", AT, input_tokens=10, output_tokens=10) is None
    assert book.unpriced == {"claude-imaginary-9"}
    assert book.cost("<synthetic>", AT, input_tokens=0, output_tokens=0) == 0
    assert book.unpriced == {"claude-imaginary-9"}


def test_fast_mode_and_caching_per_day() -> None:
    book = PriceBook()
    normal = book.cost("claude-opus-4-6", AT, input_tokens=1000, output_tokens=1000)
    fast = book.cost("claude-opus-4-6", AT, input_tokens=1000, output_tokens=1000, variant="fast")
    assert normal == 30_000 and fast == normal * FAST_MULTIPLIER
    first = book.rates("claude-opus-4-6", AT)
    assert book.rates("claude-opus-4-6", AT.replace(hour=23)) is first


def test_prices_are_dated_by_the_entry() -> None:
    book = PriceBook()
    # Batch prices for Opus 4.6 start 2026-10-14 in the catalog; the standard rate is the same on both
    # days, so the dated lookups must agree with the catalog's own answer for each day.
    for day in (datetime(2025, 6, 1, tzinfo=UTC), AT):
        usage = Usage(input_tokens=1000, output_tokens=1000)
        expected = usd_to_micros(calc_price(usage, "claude-opus-4-6", genai_request_timestamp=day).total_price)
        assert book.cost("claude-opus-4-6", day, input_tokens=1000, output_tokens=1000) == expected
