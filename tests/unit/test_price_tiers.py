"""Every model's long-context and cache prices, checked against the provider's published rates.

For each model (dated ids and aliases alike) a request below and one above its long-context
threshold are priced and compared with the bill written out from the per-million rates the
provider publishes ($ per MTok x tokens = micro-USD):

* Anthropic: https://platform.claude.com/docs/en/about-claude/pricing ("Model pricing", "Long
  context pricing": a request whose input -- input + cache reads + cache writes -- exceeds 200k
  tokens pays the long-context rates on all its tokens, output included; the prompt-caching
  multipliers apply on top) and each model's overview page;
* OpenAI: https://platform.openai.com/docs/pricing (GPT-5.4: above 272k input tokens 2x input,
  1.5x output);
* Google: https://ai.google.dev/gemini-api/docs/pricing (Gemini 2.5 Pro: above 200k).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from genai_prices.data_snapshot import get_snapshot
from genai_prices.types import TieredPrices
from msgspec.structs import replace

from tokenwallet.sources.price_overrides import OVERRIDES
from tokenwallet.sources.pricing import ModelRates, PriceBook

D = Decimal
NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Request:
    input: int
    cache_read: int
    write_5m: int
    write_1h: int
    output: int

    @property
    def total_input(self) -> int:
        return self.input + self.cache_read + self.write_5m + self.write_1h


@dataclass(frozen=True)
class Published:
    """$ per MTok as the provider's page prints them."""

    input: Decimal
    write_5m: Decimal
    write_1h: Decimal
    cache_read: Decimal
    output: Decimal


BELOW = Request(input=1_000, cache_read=150_000, write_5m=20_000, write_1h=10_000, output=4_000)  # 181,000 in
ABOVE = Request(input=1_000, cache_read=250_000, write_5m=20_000, write_1h=10_000, output=4_000)  # 281,000 in
SHORT = Request(input=1_000, cache_read=60_000, write_5m=20_000, write_1h=10_000, output=4_000)  # 91,000 in
NO_WRITES_BELOW = Request(input=30_000, cache_read=150_000, write_5m=0, write_1h=0, output=4_000)  # 180,000 in
NO_WRITES_ABOVE = Request(input=30_000, cache_read=250_000, write_5m=0, write_1h=0, output=4_000)  # 280,000 in


def bill(r: Request, p: Published) -> int:
    """The request's micro-USD: each kind of token times its published rate, rounded half up once."""
    exact = (
        r.input * p.input
        + r.cache_read * p.cache_read
        + r.write_5m * p.write_5m
        + r.write_1h * p.write_1h
        + r.output * p.output
    )
    return int(exact.quantize(D(1), rounding=ROUND_HALF_UP))


def priced(model: str, at: datetime, r: Request, provider: str = "anthropic") -> int | None:
    return PriceBook(provider_id=provider).cost(
        model,
        at,
        input_tokens=r.input,
        output_tokens=r.output,
        cache_read=r.cache_read,
        cache_5m=r.write_5m,
        cache_1h=r.write_1h,
    )


# Anthropic's "Model pricing" table: base input, 5m cache writes, 1h cache writes, cache hits, output.
SONNET = Published(D(3), D("3.75"), D(6), D("0.30"), D(15))
SONNET_LONG = Published(D(6), D("7.50"), D(12), D("0.60"), D("22.50"))  # "Long context pricing"
OPUS_46 = Published(D(5), D("6.25"), D(10), D("0.50"), D(25))
OPUS_46_LONG = Published(D(10), D("12.50"), D(20), D(1), D("37.50"))
OPUS_4 = Published(D(15), D("18.75"), D(30), D("1.50"), D(75))
HAIKU_45 = Published(D(1), D("1.25"), D(2), D("0.10"), D(5))
HAIKU_35 = Published(D("0.80"), D(1), D("1.6"), D("0.08"), D(4))
HAIKU_3 = Published(D("0.25"), D("0.30"), D("0.50"), D("0.03"), D("1.25"))
FABLE_5 = Published(D(10), D("12.50"), D(20), D(1), D(50))
FABLE_51 = Published(D(10), D("12.50"), D(20), D("0.25"), D(50))
SONNET_5 = Published(D(2), D("2.50"), D(4), D("0.20"), D(10))
SONNET_55 = Published(D(2), D("2.50"), D(4), D("0.10"), D(10))  # cache hits cut from $0.20 on 2026-10-07
OPUS_55 = Published(D(4), D(5), D(8), D("0.20"), D(20))
HAIKU_55 = Published(D("0.10"), D("0.125"), D("0.20"), D("0.01"), D("0.50"))  # prompts up to 100,000 tokens
HAIKU_55_LONG = Published(D("0.50"), D("0.625"), D(1), D("0.05"), D("2.50"))  # prompts over 100,000 tokens


ANTHROPIC_CASES = [
    # (model ids, request day, (request, published rates) pairs)
    pytest.param(
        ("claude-sonnet-4-20250514", "claude-sonnet-4-0", "claude-sonnet-4"),
        NOW,
        [(BELOW, SONNET), (ABOVE, SONNET_LONG)],
        id="sonnet-4",
    ),
    pytest.param(
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        NOW,
        [(BELOW, SONNET), (ABOVE, SONNET_LONG)],
        id="sonnet-4.5",
    ),
    # Opus 4.6 and Sonnet 4.6 had the long-context rates until 1M context became standard on 2026-03-13.
    pytest.param(
        ("claude-sonnet-4-6",), datetime(2026, 3, 12, tzinfo=UTC), [(ABOVE, SONNET_LONG)], id="sonnet-4.6-beta"
    ),
    pytest.param(("claude-sonnet-4-6",), NOW, [(BELOW, SONNET), (ABOVE, SONNET)], id="sonnet-4.6"),
    pytest.param(("claude-opus-4-6",), datetime(2026, 3, 12, tzinfo=UTC), [(ABOVE, OPUS_46_LONG)], id="opus-4.6-beta"),
    pytest.param(("claude-opus-4-6",), NOW, [(BELOW, OPUS_46), (ABOVE, OPUS_46)], id="opus-4.6"),
    pytest.param(
        ("claude-opus-4-5-20251101", "claude-opus-4-5"), NOW, [(BELOW, OPUS_46), (ABOVE, OPUS_46)], id="opus-4.5"
    ),
    pytest.param(("claude-opus-4-7", "claude-opus-4-8", "claude-opus-5"), NOW, [(ABOVE, OPUS_46)], id="opus-4.7-5"),
    pytest.param(
        ("claude-opus-4-1-20250805", "claude-opus-4-1"), NOW, [(BELOW, OPUS_4), (ABOVE, OPUS_4)], id="opus-4.1"
    ),
    pytest.param(("claude-opus-4-20250514", "claude-opus-4-0"), NOW, [(BELOW, OPUS_4)], id="opus-4"),
    pytest.param(("claude-haiku-4-5-20251001", "claude-haiku-4-5"), NOW, [(BELOW, HAIKU_45)], id="haiku-4.5"),
    pytest.param(("claude-3-7-sonnet-20250219",), NOW, [(BELOW, SONNET)], id="sonnet-3.7"),
    pytest.param(("claude-3-5-haiku-20241022",), NOW, [(BELOW, HAIKU_35)], id="haiku-3.5"),
    pytest.param(("claude-3-haiku-20240307",), NOW, [(BELOW, HAIKU_3)], id="haiku-3"),
    pytest.param(("claude-fable-5",), NOW, [(ABOVE, FABLE_5)], id="fable-5"),
    pytest.param(("claude-fable-5-1",), NOW, [(ABOVE, FABLE_51)], id="fable-5.1"),
    pytest.param(("claude-sonnet-5",), NOW, [(ABOVE, SONNET_5)], id="sonnet-5"),
    pytest.param(("claude-sonnet-5-5",), NOW, [(BELOW, SONNET_55), (ABOVE, SONNET_55)], id="sonnet-5.5"),
    pytest.param(
        ("claude-sonnet-5-5",), datetime(2026, 10, 6, 23, tzinfo=UTC), [(BELOW, SONNET_5)], id="sonnet-5.5-launch"
    ),
    pytest.param(("claude-opus-5-5",), NOW, [(ABOVE, OPUS_55)], id="opus-5.5"),
    pytest.param(("claude-haiku-5-5",), NOW, [(SHORT, HAIKU_55), (BELOW, HAIKU_55_LONG)], id="haiku-5.5"),
]


@pytest.mark.parametrize(("models", "at", "requests"), ANTHROPIC_CASES)
def test_anthropic_model_prices_as_published(
    models: tuple[str, ...], at: datetime, requests: list[tuple[Request, Published]]
) -> None:
    for model in models:
        for request, rates in requests:
            assert priced(model, at, request) == bill(request, rates), (model, request.total_input)


def test_sonnet_4_long_context_written_out() -> None:
    """The finding: Claude Sonnet 4 above 200k input is billed at the long-context rates on every token."""
    expected = 1_000 * D(6) + 250_000 * D("0.60") + 20_000 * D("7.50") + 10_000 * D(12) + 4_000 * D("22.50")
    assert priced("claude-sonnet-4-20250514", NOW, ABOVE) == int(expected)
    base = 1_000 * D(3) + 250_000 * D("0.30") + 20_000 * D("3.75") + 10_000 * D(6) + 4_000 * D(15)
    # Every input kind at twice its rate, output at one and a half times: $0.516 for $0.273.
    assert expected == 2 * (base - 4_000 * 15) + D("1.5") * 4_000 * 15


def test_the_threshold_is_exceeded_not_reached() -> None:
    at_threshold = Request(input=0, cache_read=200_000, write_5m=0, write_1h=0, output=1_000)
    one_more = Request(input=1, cache_read=200_000, write_5m=0, write_1h=0, output=1_000)
    for model in ("claude-sonnet-4-20250514", "claude-sonnet-4-5"):
        assert priced(model, NOW, at_threshold) == bill(at_threshold, SONNET)
        assert priced(model, NOW, one_more) == bill(one_more, SONNET_LONG)


def test_overrides_apply_by_the_requests_day() -> None:
    # Sonnet 4's long-context rates were published with its 1M context window on 2025-08-12.
    assert priced("claude-sonnet-4-20250514", datetime(2025, 8, 11, 23, tzinfo=UTC), ABOVE) == bill(ABOVE, SONNET)
    assert priced("claude-sonnet-4-20250514", datetime(2025, 8, 12, tzinfo=UTC), ABOVE) == bill(ABOVE, SONNET_LONG)
    # Sonnet 5.5 cache hits: $0.20 from its release until the cut to $0.10 on 2026-10-07.
    launch = Published(D(2), D("2.50"), D(4), D("0.20"), D(10))
    assert priced("claude-sonnet-5-5", datetime(2026, 9, 28, tzinfo=UTC), BELOW) == bill(BELOW, launch)
    assert priced("claude-sonnet-5-5", datetime(2026, 10, 7, tzinfo=UTC), BELOW) == bill(BELOW, SONNET_55)


def test_fast_mode_multiplies_the_long_context_rates() -> None:
    book = PriceBook(provider_id="anthropic")
    fast = book.cost(
        "claude-sonnet-4-20250514", NOW, input_tokens=1_000, output_tokens=4_000, cache_read=250_000, variant="fast"
    )
    assert fast == 6 * int(1_000 * D(6) + 250_000 * D("0.60") + 4_000 * D("22.50"))


@pytest.mark.parametrize(
    ("provider", "model", "requests"),
    [
        pytest.param(
            "openai",
            "gpt-5.4",
            [
                (NO_WRITES_BELOW, Published(D("2.50"), D(0), D(0), D("0.25"), D(15))),
                (NO_WRITES_ABOVE, Published(D(5), D(0), D(0), D("0.50"), D("22.50"))),
            ],
            id="gpt-5.4",
        ),
        pytest.param(
            "openai",
            "gpt-5-codex",
            [(NO_WRITES_ABOVE, Published(D("1.25"), D(0), D(0), D("0.125"), D(10)))],
            id="gpt-5-codex",
        ),
        pytest.param(
            "google",
            "gemini-2.5-pro",
            [
                (NO_WRITES_BELOW, Published(D("1.25"), D(0), D(0), D("0.125"), D(10))),
                (NO_WRITES_ABOVE, Published(D("2.50"), D(0), D(0), D("0.25"), D(15))),
            ],
            id="gemini-2.5-pro",
        ),
    ],
)
def test_other_agents_models_as_published(provider: str, model: str, requests: list[tuple[Request, Published]]) -> None:
    for request, rates in requests:
        assert priced(model, NOW, request, provider) == bill(request, rates), request.total_input


def test_every_override_fills_a_gap_the_catalog_has() -> None:
    """An entry whose price the catalog has gained is stale: this fails and says which."""
    snapshot = get_snapshot()
    fields = {
        "input": "input_mtok",
        "output": "output_mtok",
        "cache_read": "cache_read_mtok",
        "cache_write_5m": "cache_write_mtok",
        "cache_write_1h": "cache_write_1h_mtok",
    }
    for entry in OVERRIDES:
        assert entry.source.startswith("https://") and entry.why
        _, info = snapshot.find_provider_model(entry.model_id, None, entry.provider_id, None)
        assert info.id == entry.model_id
        days = [entry.starts] + ([entry.ends - (entry.ends - entry.starts) / 2] if entry.ends else [])
        for day in days:
            price = info.get_prices(datetime.combine(day, datetime.min.time(), tzinfo=UTC))
            if entry.long_context is not None:
                tiered = [name for name, value in price.__dict__.items() if isinstance(value, TieredPrices)]
                assert not tiered, f"the catalog now has tiers for {entry.model_id}: remove its override"
            for kind, rate in entry.base.items():
                assert getattr(price, fields[kind]) != rate, f"the catalog now has {entry.model_id} {kind}"


def test_at_most_one_override_per_model_and_day() -> None:
    for a in OVERRIDES:
        for b in OVERRIDES:
            if a is not b and (a.provider_id, a.model_id) == (b.provider_id, b.model_id):
                assert (a.ends is not None and a.ends <= b.starts) or (b.ends is not None and b.ends <= a.starts)
    assert all(isinstance(o.starts, date) for o in OVERRIDES)


@pytest.mark.parametrize(
    "model", ["claude-sonnet-4-20250514", "claude-sonnet-4-5", "claude-haiku-5-5", "claude-opus-4-1"]
)
def test_the_single_cliff_shortcut_prices_like_picking_per_kind(model: str) -> None:
    rates = PriceBook(provider_id="anthropic").rates(model, NOW)
    assert rates is not None
    slow = replace(rates, flat=None, cliff=None)
    rng = random.Random(model)
    for _ in range(2_000):
        inp, out, read, w5, w1 = (
            rng.choice((0, rng.randint(0, 400_000), rng.randint(90_000, 210_000))) for _ in range(5)
        )
        kwargs = {"input_tokens": inp, "output_tokens": out, "cache_read": read, "cache_5m": w5, "cache_1h": w1}
        assert rates.cost(**kwargs) == slow.cost(**kwargs), kwargs


def test_tiers_with_different_starts_are_picked_per_kind() -> None:
    rates = ModelRates(
        model_id="m",
        provider_id="p",
        input=(3_000_000, ((100_000, 6_000_000),)),
        output=(15_000_000, ((200_000, 30_000_000),)),
        cache_read=(300_000, ()),
        cache_write_5m=(3_750_000, ()),
        cache_write_1h=(6_000_000, ()),
    )
    # 150,000 input: past the input tier's start, not the output's.
    assert rates.cost(input_tokens=50_000, output_tokens=1_000, cache_read=100_000) == int(
        50_000 * D(6) + 1_000 * D(15) + 100_000 * D("0.30")
    )
