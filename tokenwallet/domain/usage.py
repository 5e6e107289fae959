"""Usage records and balance/limit snapshots: what connectors return and the ledger stores."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from tokenwallet.domain.money import Micros


class Source(StrEnum):
    """Where a ledger row came from."""

    API_USAGE = "api_usage"
    API_COST = "api_cost"
    BALANCE = "balance"
    LOCAL_LOG = "local_log"
    MANUAL = "manual"


class Confidence(StrEnum):
    """How far a figure can be trusted, and how it counts (see :mod:`tokenwallet.budget.counting`).

    ``billed``: money on a provider's bill; ``gateway``: spend a gateway (LiteLLM, OpenRouter)
    recorded for the key; ``reported``: a figure a provider reported (tokens, daily spend);
    ``estimated``: our estimate (agent logs priced from the catalog); ``subscription``: usage under
    a subscription plan (ChatGPT, Claude Pro/Max), whose money is only an API-equivalent value.
    """

    BILLED = "billed"
    GATEWAY = "gateway"
    REPORTED = "reported"
    ESTIMATED = "estimated"
    SUBSCRIPTION = "subscription"


class UsageRecord(msgspec.Struct, frozen=True):
    """One observation of usage over ``[bucket_start, bucket_end)``.

    ``key`` is the natural key within (account, source): re-recording the same key replaces the
    row, which is how a bucket that is still filling gets updated instead of double counted.
    ``cost_micros`` is ``None`` when no money is known: for token-only rows (``api_usage``, whose
    money arrives in ``api_cost`` rows) and for models without a price (``local_log``: *unpriced*).
    """

    account_id: str
    source: Source
    key: str
    bucket_start: datetime
    bucket_end: datetime
    provider: str
    model: str = ""
    confidence: Confidence = Confidence.REPORTED
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    requests: int = 0
    cost_micros: Micros | None = None
    currency: str = "USD"
    kind: str = ""
    project: str = ""
    api_key: str = ""
    workspace: str = ""
    extra: dict[str, object] = msgspec.field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        """Input (including cached and cache writes as separate counts) plus output tokens."""
        return self.input_tokens + self.cached_input_tokens + self.cache_write_tokens + self.output_tokens

    def replace(self, **changes: object) -> UsageRecord:
        """Return a copy with ``changes`` applied."""
        return msgspec.structs.replace(self, **changes)


class SnapshotKind(StrEnum):
    """What a snapshot describes."""

    BALANCE = "balance"  # prepaid credit left (DeepSeek, Moonshot, OpenRouter credits)
    LIMIT = "limit"  # a budget or limit the server enforces (LiteLLM, OpenRouter key limit)
    RATE_WINDOW = "rate_window"  # a plan window in percent (Codex 5-hour / weekly)


class BalanceSnapshot(msgspec.Struct, frozen=True):
    """A point-in-time reading of a balance, a server-side limit or a plan window.

    Money fields are micro-USD when ``currency`` is USD, else micro-units of ``currency``.
    ``name`` tells several limits of one account apart (``key``, ``user``, ``team``,
    ``primary``, ``secondary``, ...).
    """

    account_id: str
    kind: SnapshotKind
    name: str
    observed_at: datetime
    currency: str = "USD"
    spent_micros: Micros | None = None
    limit_micros: Micros | None = None
    remaining_micros: Micros | None = None
    soft_limit_micros: Micros | None = None
    used_percent: float | None = None
    window_minutes: int | None = None
    period: str = ""  # e.g. "30d", "monthly", "" for a lifetime limit
    resets_at: datetime | None = None
    expires_at: datetime | None = None
    extra: dict[str, object] = msgspec.field(default_factory=dict)
