"""A deterministic usage scenario: the same seed and day always give the same tokens and money.

Each provider's numbers for a UTC day come from a ``random.Random`` seeded with (seed, provider,
model, day), so any day can be served without storing anything, and the emulator, the tests and
the demo agree.  The current day is filled in proportion to the time elapsed, so a demo "moves".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

# Dollars per million tokens: (input, cached input, cache write, output).
OPENAI_PRICES: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]] = {
    "gpt-5.2": (Decimal("1.75"), Decimal("0.175"), Decimal("0"), Decimal("14")),
    "gpt-5.2-codex": (Decimal("1.75"), Decimal("0.175"), Decimal("0"), Decimal("14")),
}
OPENAI_EMBEDDING_MODELS = ("text-embedding-3-small",)
OPENAI_EMBEDDING_PRICE = Decimal("0.02")
OPENAI_PROJECT = "proj_demo01"
# Dollars per million tokens: (input, 5-minute cache write, 1-hour cache write, cache read, output).
ANTHROPIC_PRICES: dict[str, tuple[Decimal, Decimal, Decimal, Decimal, Decimal]] = {
    "claude-sonnet-4-6": (Decimal(3), Decimal("3.75"), Decimal(6), Decimal("0.30"), Decimal(15)),
    "claude-haiku-4-5": (Decimal(1), Decimal("1.25"), Decimal(2), Decimal("0.10"), Decimal(5)),
}
ANTHROPIC_TOKEN_TYPES = (
    "uncached_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
)
MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Scenario:
    """Seed and the fixed figures of the gateways and balances."""

    seed: int = 20261126
    openrouter_limit_usd: Decimal = Decimal(50)
    openrouter_credits_usd: Decimal = Decimal(100)
    litellm_key_budget_usd: Decimal = Decimal(100)
    litellm_key_soft_budget_usd: Decimal = Decimal(80)
    litellm_user_budget_usd: Decimal = Decimal(150)
    litellm_team_budget_usd: Decimal = Decimal(500)
    deepseek_topped_up_usd: Decimal = Decimal(20)
    moonshot_topped_up: Decimal = Decimal(30)

    def _rng(self, *parts: object) -> random.Random:
        return random.Random("|".join(str(x) for x in (self.seed, *parts)))

    @staticmethod
    def fraction(day: date, now: datetime) -> Decimal:
        """How much of ``day`` has passed at ``now``: 1 for past days, 0 for future ones."""
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        elapsed = (now - start).total_seconds()
        if elapsed >= 86400:
            return Decimal(1)
        if elapsed <= 0:
            return Decimal(0)
        return Decimal(int(elapsed)) / Decimal(86400)

    def _scaled(self, value: int, day: date, now: datetime) -> int:
        return int(Decimal(value) * self.fraction(day, now))

    def openai_completions(self, model: str, day: date, now: datetime) -> dict[str, int]:
        """Tokens of one completions model on one day (uncached + cached + cache write = input)."""
        rng = self._rng("openai", model, day.isoformat())
        busy = 0.3 if day.weekday() >= 5 else 1.0
        uncached = self._scaled(int(rng.randint(20_000, 400_000) * busy), day, now)
        cached = self._scaled(int(rng.randint(50_000, 900_000) * busy), day, now)
        output = self._scaled(int(rng.randint(5_000, 60_000) * busy), day, now)
        requests = self._scaled(int(rng.randint(20, 300) * busy), day, now)
        return {
            "input_tokens": uncached + cached,
            "input_cached_tokens": cached,
            "input_cache_write_tokens": 0,
            "input_uncached_tokens": uncached,
            "output_tokens": output,
            "num_model_requests": requests,
        }

    def openai_embeddings(self, model: str, day: date, now: datetime) -> dict[str, int]:
        """Embedding tokens of one model on one day."""
        rng = self._rng("openai-emb", model, day.isoformat())
        return {
            "input_tokens": self._scaled(rng.randint(1_000, 90_000), day, now),
            "num_model_requests": self._scaled(rng.randint(1, 40), day, now),
        }

    def openai_cost_usd(self, day: date, now: datetime) -> Decimal:
        """Billed dollars of the demo project on one day, to the micro-dollar."""
        total = Decimal(0)
        for model, (p_in, p_cached, p_write, p_out) in OPENAI_PRICES.items():
            u = self.openai_completions(model, day, now)
            total += (
                u["input_uncached_tokens"] * p_in
                + u["input_cached_tokens"] * p_cached
                + u["input_cache_write_tokens"] * p_write
                + u["output_tokens"] * p_out
            ) / MILLION
        for model in OPENAI_EMBEDDING_MODELS:
            total += self.openai_embeddings(model, day, now)["input_tokens"] * OPENAI_EMBEDDING_PRICE / MILLION
        return total.quantize(Decimal("0.000001"))

    def anthropic_messages(self, model: str, day: date, now: datetime) -> dict[str, int]:
        """Token counts of one model on one day, in the usage_report field names."""
        rng = self._rng("anthropic", model, day.isoformat())
        busy = 0.25 if day.weekday() >= 5 else 1.0
        return {
            "uncached_input_tokens": self._scaled(int(rng.randint(5_000, 60_000) * busy), day, now),
            "cache_creation.ephemeral_5m_input_tokens": self._scaled(int(rng.randint(10_000, 90_000) * busy), day, now),
            "cache_creation.ephemeral_1h_input_tokens": self._scaled(int(rng.randint(0, 20_000) * busy), day, now),
            "cache_read_input_tokens": self._scaled(int(rng.randint(200_000, 2_500_000) * busy), day, now),
            "output_tokens": self._scaled(int(rng.randint(10_000, 90_000) * busy), day, now),
        }

    def anthropic_cost_cents(self, model: str, token_type: str, day: date, now: datetime) -> Decimal:
        """Exact cents for one (model, token type, day), as the cost report states them."""
        prices = dict(zip(ANTHROPIC_TOKEN_TYPES, ANTHROPIC_PRICES[model], strict=True))
        tokens = self.anthropic_messages(model, day, now)[token_type]
        return tokens * prices[token_type] * 100 / MILLION

    def claude_code_tokens(self, customer: str, day: date, now: datetime) -> dict[str, int]:
        """Claude Code report tokens of one customer type on one day."""
        rng = self._rng("claude-code", customer, day.isoformat())
        return {
            "input": self._scaled(rng.randint(1_000, 30_000), day, now),
            "output": self._scaled(rng.randint(5_000, 80_000), day, now),
            "cache_read": self._scaled(rng.randint(100_000, 900_000), day, now),
            "cache_creation": self._scaled(rng.randint(5_000, 60_000), day, now),
        }

    def claude_code_cents(self, customer: str, day: date, now: datetime) -> Decimal:
        """The report's estimated cost in cents (two decimals, as a number)."""
        t = self.claude_code_tokens(customer, day, now)
        p_in, p_5m, _p_1h, p_read, p_out = ANTHROPIC_PRICES["claude-sonnet-4-6"]
        dollars = (
            t["input"] * p_in + t["cache_creation"] * p_5m + t["cache_read"] * p_read + t["output"] * p_out
        ) / MILLION
        return (dollars * 100).quantize(Decimal("0.01"))

    def daily_gateway_spend(self, provider: str, day: date, now: datetime) -> Decimal:
        """Dollars a gateway key spent on one day (OpenRouter, LiteLLM), to the micro-dollar."""
        rng = self._rng(provider, "spend", day.isoformat())
        full = Decimal(rng.randint(200_000, 3_000_000)) / MILLION
        return (full * self.fraction(day, now)).quantize(Decimal("0.000001"))

    def spend_between(self, provider: str, start: date, now: datetime) -> Decimal:
        """Gateway dollars from ``start`` (a UTC day) to ``now``."""
        total = Decimal(0)
        day = start
        while day <= now.date():
            total += self.daily_gateway_spend(provider, day, now)
            day += timedelta(days=1)
        return total

    def balance(self, provider: str, topped_up: Decimal, now: datetime) -> Decimal:
        """A prepaid balance that falls with spend since the 1st of the month (never below zero)."""
        spent = self.spend_between(provider, now.date().replace(day=1), now)
        return max(Decimal(0), topped_up - spent)
