"""Accounts: a provider key or a local agent-log folder that feeds the ledger."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


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


class AccountFilters(msgspec.Struct, frozen=True):
    """Which part of an organisation's usage is the user's own: the polls ask the provider for it alone.

    An org admin key sees everyone's usage; these narrow it on the provider's side to the user's
    api keys, projects and workspaces, and the Claude Code report to their login.  Empty means the
    whole organisation (the account is the user's alone).  Values are kept sorted and unique.
    """

    api_key_ids: tuple[str, ...] = ()
    project_ids: tuple[str, ...] = ()
    workspace_ids: tuple[str, ...] = ()
    user_emails: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in FILTER_DIMENSIONS.values():
            msgspec.structs.force_setattr(self, name, tuple(sorted(set(getattr(self, name)))))

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in FILTER_DIMENSIONS.values())

    def values(self, dimension: str) -> tuple[str, ...]:
        """The values of one dimension (``api_key_id``, ``project_id``, ``workspace_id``, ``user_email``)."""
        return tuple(getattr(self, FILTER_DIMENSIONS[dimension]))

    def pairs(self) -> list[tuple[str, str]]:
        """Every (dimension, value), in a stable order: how the ledger stores them."""
        return [(dim, value) for dim in FILTER_DIMENSIONS for value in self.values(dim)]

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> AccountFilters:
        """The filters of (dimension, value) pairs."""
        found: dict[str, list[str]] = {name: [] for name in FILTER_DIMENSIONS.values()}
        for dim, value in pairs:
            found[FILTER_DIMENSIONS[dim]].append(value)
        return cls(**{k: tuple(v) for k, v in found.items()})


FILTER_DIMENSIONS: dict[str, str] = {
    "api_key_id": "api_key_ids",
    "project_id": "project_ids",
    "workspace_id": "workspace_ids",
    "user_email": "user_emails",
}
"""Filter dimension (as stored) -> the :class:`AccountFilters` field holding its values."""

NO_FILTERS = AccountFilters()


def filters_overlap(a: AccountFilters, b: AccountFilters) -> bool:
    """Whether two accounts of one organization with these filters can record the same usage.

    They cannot only when some dimension is narrowed by both to values they do not share (two
    projects, two api keys); anything else (no filter, or filters on different dimensions) may
    count the same requests twice.
    """
    for dimension in FILTER_DIMENSIONS:
        mine, theirs = set(a.values(dimension)), set(b.values(dimension))
        if mine and theirs and not mine & theirs:
            return False
    return True


def key_fingerprint(secret: bytes, key_text: str) -> str:
    """A keyed hash (HMAC-SHA-256, 128 bits in hex) of a key: equal keys give equal fingerprints, and
    nothing about the key can be learnt from it without ``secret``."""
    import hashlib  # here, not at load: the read-only commands never fingerprint a key
    import hmac

    return hmac.new(secret, key_text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


class Account(msgspec.Struct, frozen=True):
    """A configured account.  The key itself lives in the OS keyring; only ``key_hint`` is stored.

    An account is a *stream* of usage.  ``billed_by`` (agent-log accounts only) names the API or
    gateway account the logged requests are billed through: the logs' estimates then count only
    where that account has not reported yet.  ``subscription`` (agent-log accounts only) says the
    logged usage is under a subscription plan: counted in token allowances, not as dollars.

    ``filters`` (API accounts of an organisation) narrow its polls to the user's own usage.
    ``key_fingerprint`` is a keyed hash of the key (never the key): two accounts with the same key
    are the same account, which is refused.
    """

    id: str
    kind: AccountKind
    label: str
    base_url: str = ""
    key_hint: str = ""
    enabled: bool = True
    created_at: datetime | None = None
    config: dict[str, object] = msgspec.field(default_factory=dict)
    billed_by: str | None = None
    subscription: bool = False
    filters: AccountFilters = NO_FILTERS
    key_fingerprint: str = ""


class SyncState(msgspec.Struct, frozen=True):
    """How syncing one account (one stream of it) stands."""

    account_id: str
    stream: str = "default"
    cursor: dict[str, object] = msgspec.field(default_factory=dict)
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str = ""
    error_kind: str = ""
    failures: int = 0
    next_due: datetime | None = None
