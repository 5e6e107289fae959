"""Accounts: a provider key or a local agent-log folder that feeds the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AccountKind(StrEnum):
    """Every kind of account tokenwallet knows."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    OPENROUTER = "openrouter"
    LITELLM = "litellm"
    DEEPSEEK = "deepseek"
    MOONSHOT = "moonshot"
    CLAUDE_CODE = "claude-code"
    CODEX = "codex"
    GEMINI = "gemini"
    MANUAL = "manual"

    @property
    def is_local_log(self) -> bool:
        """True for accounts read from an agent's local logs (no key)."""
        return self in (AccountKind.CLAUDE_CODE, AccountKind.CODEX, AccountKind.GEMINI)

    @property
    def needs_key(self) -> bool:
        """True for accounts that poll a provider API with a secret key."""
        return not self.is_local_log and self is not AccountKind.MANUAL


@dataclass(frozen=True, slots=True)
class Account:
    """A configured account.  The key itself lives in the OS keyring; only ``key_hint`` is stored.

    An account is a *stream* of usage.  ``billed_by`` (agent-log accounts only) names the API or
    gateway account the logged requests are billed through: the logs' estimates then count only
    where that account has not reported yet.  ``subscription`` (agent-log accounts only) says the
    logged usage is under a subscription plan: counted in token allowances, not as dollars.
    """

    id: str
    kind: AccountKind
    label: str
    base_url: str = ""
    key_hint: str = ""
    enabled: bool = True
    created_at: datetime | None = None
    config: dict[str, object] = field(default_factory=dict)
    billed_by: str | None = None
    subscription: bool = False


@dataclass(frozen=True, slots=True)
class SyncState:
    """How syncing one account (one stream of it) stands."""

    account_id: str
    stream: str = "default"
    cursor: dict[str, object] = field(default_factory=dict)
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str = ""
    error_kind: str = ""
    failures: int = 0
    next_due: datetime | None = None
