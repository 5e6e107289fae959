"""A deterministic usage scenario: the same seed and day always give the same tokens and money.

Each provider's numbers for a UTC day come from a ``random.Random`` seeded with (seed, provider,
model, day), so any day can be served without storing anything, and the emulator, the tests and
the demo agree.  A day fills over its UTC hours along :data:`HOUR_WEIGHTS` (quiet nights, busy
working hours), so the current day "moves" and hourly buckets have a shape of their own; the
figures of an hour are the day's figures at its end minus those at its start, so hours always add
up to their day exactly.

An organisation's usage belongs to its :class:`Member` s: by default only :data:`YOU`; the
:data:`SHARED_ORG` scenario adds colleagues who use the same OpenAI and Anthropic organisation
with api keys, projects, workspaces and Claude Code logins of their own.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
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
GATEWAY_MODELS: dict[str, tuple[str, str]] = {
    "litellm": ("claude-sonnet-4-6", "gpt-5.2"),
    "openrouter": ("anthropic/claude-sonnet-4.6", "openai/gpt-5.2"),
}
"""The two models each gateway key's spend goes to (the first gets 50-85 % of a day)."""

HOUR_WEIGHTS: tuple[int, ...] = (2, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 9, 10, 12, 12, 11, 9, 7, 6, 5, 4, 3, 2)
"""How a day's usage is spread over its 24 UTC hours (weights)."""
_DAY_WEIGHT = sum(HOUR_WEIGHTS)


@functools.lru_cache(maxsize=1 << 16)
def _draws(seed_text: str, ranges: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """``randint`` draws of a ``random.Random(seed_text)``, in order (cached: hours ask for the same day often)."""
    rng = random.Random(seed_text)
    return tuple(rng.randint(low, high) for low, high in ranges)


@dataclass(frozen=True, slots=True)
class Member:
    """One person using the organisation's accounts: their ids in each provider's reports."""

    name: str
    openai_api_key_id: str
    openai_project_id: str
    anthropic_api_key_id: str
    anthropic_workspace_id: str | None  # None: the default workspace (reported as null)
    email: str


YOU = Member("you", "key_you0001", OPENAI_PROJECT, "apikey_you0001", None, "alice@corp.example")
"""The user of the default scenario (the only member: the organisation is theirs alone)."""

YOU_AT_WORK = Member("you", "key_you0001", OPENAI_PROJECT, "apikey_you0001", "wrkspc_platform", "alice@corp.example")
"""The same user in an organisation shared with colleagues: their own key, in the team's project and workspace."""
BOB = Member("bob", "key_bob0002", OPENAI_PROJECT, "apikey_bob0002", "wrkspc_platform", "bob@corp.example")
"""A colleague in the same project and workspace, with a key of his own."""
CAROL = Member("carol", "key_carol0003", "proj_data02", "apikey_carol0003", "wrkspc_data", "carol@corp.example")
"""A colleague in another project and workspace."""
SHARED_ORG: tuple[Member, ...] = (YOU_AT_WORK, BOB, CAROL)
"""An organisation whose admin keys see three people's usage (``Scenario(members=SHARED_ORG)``)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """Seed, the organisation's members and the fixed figures of the gateways and balances."""

    seed: int = 20261126
    members: tuple[Member, ...] = (YOU,)
    openrouter_limit_usd: Decimal = Decimal(50)
    openrouter_credits_usd: Decimal = Decimal(100)
    litellm_key_budget_usd: Decimal = Decimal(100)
    litellm_key_soft_budget_usd: Decimal = Decimal(80)
    litellm_user_budget_usd: Decimal = Decimal(150)
    litellm_team_budget_usd: Decimal = Decimal(500)
    deepseek_topped_up_usd: Decimal = Decimal(20)
    moonshot_topped_up: Decimal = Decimal(30)

    def _draw(self, parts: tuple[object, ...], *ranges: tuple[int, int], member: Member = YOU) -> tuple[int, ...]:
        # The user's figures keep the seeds they always had; a colleague's are seeded with their name too.
        named = () if member.name == YOU.name else (member.name,)
        return _draws("|".join(str(x) for x in (self.seed, *named, *parts)), ranges)

    @staticmethod
    def fraction(day: date, now: datetime) -> Decimal:
        """How much of ``day``'s usage has happened at ``now`` (along :data:`HOUR_WEIGHTS`): 1 for past days."""
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        elapsed = int((now - start).total_seconds())
        if elapsed >= 86400:
            return Decimal(1)
        if elapsed <= 0:
            return Decimal(0)
        hour, into = divmod(elapsed, 3600)
        done = sum(HOUR_WEIGHTS[:hour]) + Decimal(HOUR_WEIGHTS[hour] * into) / 3600
        return done / _DAY_WEIGHT

    @staticmethod
    def between(figures: Callable[[datetime], dict[str, int]], start: datetime, end: datetime) -> dict[str, int]:
        """The figures of ``[start, end)`` (inside one UTC day): those at ``end`` minus those at ``start``.

        ``figures(at)`` gives a day's figures as filled at ``at``; an hour's bucket is its end's minus
        its start's, so a day's hours add up to the day exactly.
        """
        before, after = figures(start), figures(end)
        return {k: after[k] - before[k] for k in after}

    def _scaled(self, value: int, day: date, now: datetime) -> int:
        return int(Decimal(value) * self.fraction(day, now))

    def openai_completions(self, model: str, day: date, now: datetime, member: Member = YOU) -> dict[str, int]:
        """Tokens of one completions model on one day (uncached + cached + cache write = input)."""
        drawn = self._draw(
            ("openai", model, day.isoformat()),
            (20_000, 400_000),
            (50_000, 900_000),
            (5_000, 60_000),
            (20, 300),
            member=member,
        )
        busy = 0.3 if day.weekday() >= 5 else 1.0
        uncached, cached, output, requests = (self._scaled(int(v * busy), day, now) for v in drawn)
        return {
            "input_tokens": uncached + cached,
            "input_cached_tokens": cached,
            "input_cache_write_tokens": 0,
            "input_uncached_tokens": uncached,
            "output_tokens": output,
            "num_model_requests": requests,
        }

    def openai_embeddings(self, model: str, day: date, now: datetime, member: Member = YOU) -> dict[str, int]:
        """Embedding tokens of one model on one day."""
        tokens, requests = self._draw(("openai-emb", model, day.isoformat()), (1_000, 90_000), (1, 40), member=member)
        return {
            "input_tokens": self._scaled(tokens, day, now),
            "num_model_requests": self._scaled(requests, day, now),
        }

    def openai_cost_usd(self, day: date, now: datetime, member: Member | None = None) -> Decimal:
        """Billed dollars of one member (None: every member, the whole bill) on one day, to the micro-dollar.

        Each member's bill is rounded to the micro-dollar on its own, so a bill grouped by api key
        or project adds up to the whole one exactly.
        """
        if member is None:
            return sum((self.openai_cost_usd(day, now, m) for m in self.members), Decimal(0))
        total = Decimal(0)
        for model, (p_in, p_cached, p_write, p_out) in OPENAI_PRICES.items():
            u = self.openai_completions(model, day, now, member)
            total += (
                u["input_uncached_tokens"] * p_in
                + u["input_cached_tokens"] * p_cached
                + u["input_cache_write_tokens"] * p_write
                + u["output_tokens"] * p_out
            ) / MILLION
        for model in OPENAI_EMBEDDING_MODELS:
            total += self.openai_embeddings(model, day, now, member)["input_tokens"] * OPENAI_EMBEDDING_PRICE / MILLION
        return total.quantize(Decimal("0.000001"))

    def anthropic_messages(self, model: str, day: date, now: datetime, member: Member = YOU) -> dict[str, int]:
        """Token counts of one model on one day, in the usage_report field names."""
        drawn = self._draw(
            ("anthropic", model, day.isoformat()),
            (5_000, 60_000),
            (10_000, 90_000),
            (0, 20_000),
            (200_000, 2_500_000),
            (10_000, 90_000),
            member=member,
        )
        busy = 0.25 if day.weekday() >= 5 else 1.0
        names = (
            "uncached_input_tokens",
            "cache_creation.ephemeral_5m_input_tokens",
            "cache_creation.ephemeral_1h_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
        )
        return {name: self._scaled(int(v * busy), day, now) for name, v in zip(names, drawn, strict=True)}

    def anthropic_cost_cents(
        self, model: str, token_type: str, day: date, now: datetime, member: Member | None = None
    ) -> Decimal:
        """Exact cents of one (model, token type, day) of a member (None: every member), as the report states them."""
        if member is None:
            return sum((self.anthropic_cost_cents(model, token_type, day, now, m) for m in self.members), Decimal(0))
        prices = dict(zip(ANTHROPIC_TOKEN_TYPES, ANTHROPIC_PRICES[model], strict=True))
        tokens = self.anthropic_messages(model, day, now, member)[token_type]
        return tokens * prices[token_type] * 100 / MILLION

    def claude_code_tokens(self, customer: str, day: date, now: datetime, member: Member = YOU) -> dict[str, int]:
        """Claude Code report tokens of one customer type (of one member's login) on one day."""
        drawn = self._draw(
            ("claude-code", customer, day.isoformat()),
            (1_000, 30_000),
            (5_000, 80_000),
            (100_000, 900_000),
            (5_000, 60_000),
            member=member,
        )
        names = ("input", "output", "cache_read", "cache_creation")
        return {name: self._scaled(v, day, now) for name, v in zip(names, drawn, strict=True)}

    def claude_code_cents(self, customer: str, day: date, now: datetime, member: Member = YOU) -> Decimal:
        """The report's estimated cost in cents (two decimals, as a number)."""
        t = self.claude_code_tokens(customer, day, now, member)
        p_in, p_5m, _p_1h, p_read, p_out = ANTHROPIC_PRICES["claude-sonnet-4-6"]
        dollars = (
            t["input"] * p_in + t["cache_creation"] * p_5m + t["cache_read"] * p_read + t["output"] * p_out
        ) / MILLION
        return (dollars * 100).quantize(Decimal("0.01"))

    def daily_gateway_spend(self, provider: str, day: date, now: datetime) -> Decimal:
        """Dollars a gateway key spent on one day (OpenRouter, LiteLLM), to the micro-dollar."""
        (drawn,) = self._draw((provider, "spend", day.isoformat()), (200_000, 3_000_000))
        full = Decimal(drawn) / MILLION
        return (full * self.fraction(day, now)).quantize(Decimal("0.000001"))

    def gateway_model_spend(self, provider: str, day: date, now: datetime) -> dict[str, Decimal]:
        """A gateway key's dollars of one day per model (:data:`GATEWAY_MODELS`); they add up to the day exactly."""
        total = self.daily_gateway_spend(provider, day, now)
        first, second = GATEWAY_MODELS[provider]
        share = Decimal(self._draw((provider, "share", day.isoformat()), (50, 85))[0]) / 100
        part = (total * share).quantize(Decimal("0.000001"))
        return {first: part, second: total - part}

    def gateway_model_tokens(self, provider: str, model: str, day: date, now: datetime) -> dict[str, int]:
        """A gateway key's tokens and requests of one model on one day."""
        drawn = self._draw(
            (provider, "tokens", model, day.isoformat()),
            (20_000, 400_000),
            (2_000, 40_000),
            (0, 600_000),
            (0, 30_000),
            (10, 200),
        )
        names = ("prompt_tokens", "completion_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
        return {name: self._scaled(v, day, now) for name, v in zip((*names, "api_requests"), drawn, strict=True)}

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
