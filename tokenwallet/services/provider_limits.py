"""Limits the providers enforce themselves, as the tray and the dashboard show them beside the allowances.

A LiteLLM key, user or team budget, an OpenRouter key limit, a DeepSeek or Moonshot prepaid
balance, a Codex 5-hour or weekly plan window: each is a ``balance_snapshots`` row (kind
``limit``, ``balance`` or ``rate_window``).  :func:`provider_limits` gives the newest reading of
each, for every account that does not back an allowance (a backed allowance already shows its
gateway's limit), the tightest limit of an account first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind

_KIND_NAMES = {
    AccountKind.LITELLM: "LiteLLM",
    AccountKind.OPENROUTER: "OpenRouter",
    AccountKind.DEEPSEEK: "DeepSeek",
    AccountKind.MOONSHOT: "Moonshot",
    AccountKind.CODEX: "Codex",
    AccountKind.CLAUDE_CODE: "Claude Code",
}
_LIMIT_NAMES = {"key": "key budget", "user": "user budget", "team": "team budget", "credits": "credits"}
_DERIVED = "effective"  # LiteLLM's copy of the tightest of key/user/team: the card marks that one instead


@dataclass(frozen=True, slots=True)
class ProviderLimit:
    """One limit, balance or plan window of an account, newest reading.

    Money is in micro-units of ``snapshot.currency`` (micro-USD for USD).  ``tightest`` marks the
    limit of an account with the least left when it has several (LiteLLM key, user and team).
    """

    account: Account
    snapshot: BalanceSnapshot
    title: str
    tightest: bool = False

    @property
    def left(self) -> int | None:
        """Money left under the limit (or the balance), when known."""
        s = self.snapshot
        if s.remaining_micros is not None:
            return s.remaining_micros
        if s.limit_micros is not None and s.spent_micros is not None:
            return s.limit_micros - s.spent_micros
        return None

    @property
    def percent_used(self) -> float | None:
        """Share of the limit used (0..100+), when there is a limit (or a plan window's own percentage)."""
        s = self.snapshot
        if s.used_percent is not None:
            return s.used_percent
        if s.limit_micros:
            spent = s.spent_micros if s.spent_micros is not None else s.limit_micros - (s.remaining_micros or 0)
            return round(100.0 * spent / s.limit_micros, 2)
        return None

    @property
    def is_window(self) -> bool:
        """True for a plan window in percent (Codex), which has no money."""
        return self.snapshot.kind is SnapshotKind.RATE_WINDOW


def _window_name(snapshot: BalanceSnapshot) -> str:
    minutes = snapshot.window_minutes
    if minutes is None:
        return f"{snapshot.name} window"
    if minutes % (7 * 24 * 60) == 0:
        weeks = minutes // (7 * 24 * 60)
        return "weekly window" if weeks == 1 else f"{weeks}-week window"
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}-day window"
    if minutes % 60 == 0:
        return f"{minutes // 60}-hour window"
    return f"{minutes}-minute window"


def limit_title(account: Account, snapshot: BalanceSnapshot) -> str:
    """'LiteLLM key budget', 'OpenRouter key limit', 'DeepSeek balance (CNY)', 'Codex 5-hour window'."""
    provider = _KIND_NAMES.get(account.kind, account.kind.value)
    if snapshot.kind is SnapshotKind.RATE_WINDOW:
        return f"{provider} {_window_name(snapshot)}"
    if snapshot.kind is SnapshotKind.BALANCE:
        if snapshot.name == "credits":
            return f"{provider} credits"
        currency = f" ({snapshot.currency})" if snapshot.currency != "USD" else ""
        return f"{provider} balance{currency}"
    if account.kind is AccountKind.OPENROUTER and snapshot.name == "key":
        return f"{provider} key limit"
    return f"{provider} {_LIMIT_NAMES.get(snapshot.name, snapshot.name + ' limit')}"


def _left_for_order(snapshot: BalanceSnapshot) -> float:
    if snapshot.remaining_micros is not None:
        return snapshot.remaining_micros
    if snapshot.limit_micros is not None:
        return snapshot.limit_micros - (snapshot.spent_micros or 0)
    return float("inf")


def _shown(snapshot: BalanceSnapshot) -> bool:
    """A reading worth a card: a limit with a budget, a balance, or a plan window."""
    if snapshot.kind is SnapshotKind.LIMIT:
        return snapshot.name != _DERIVED and snapshot.limit_micros is not None
    if snapshot.kind is SnapshotKind.BALANCE:
        return snapshot.remaining_micros is not None
    return snapshot.used_percent is not None


def limits_from(
    accounts: list[Account], snapshots: list[BalanceSnapshot], allowances: list[Allowance]
) -> list[ProviderLimit]:
    """The limits to show, by account label; within an account money limits tightest first, then windows."""
    backing = {a.backing_account_id for a in allowances if a.backing_account_id}
    by_id = {a.id: a for a in accounts if a.enabled}
    found: list[ProviderLimit] = []
    for account in sorted(by_id.values(), key=lambda a: (a.label.lower(), a.id)):
        mine = [s for s in snapshots if s.account_id == account.id and _shown(s)]
        if account.id in backing:
            # The allowance card shows the gateway limit it is backed by; its balances still get a card.
            mine = [s for s in mine if s.kind is not SnapshotKind.LIMIT]
        money = sorted(
            (s for s in mine if s.kind is not SnapshotKind.RATE_WINDOW),
            key=lambda s: (s.kind is not SnapshotKind.LIMIT, _left_for_order(s), s.name),
        )
        windows = sorted(
            (s for s in mine if s.kind is SnapshotKind.RATE_WINDOW),
            key=lambda s: (s.window_minutes or 0, s.name),
        )
        several = sum(1 for s in money if s.kind is SnapshotKind.LIMIT) > 1
        for i, snapshot in enumerate(money):
            tight = several and i == 0 and snapshot.kind is SnapshotKind.LIMIT
            found.append(ProviderLimit(account, snapshot, limit_title(account, snapshot), tight))
        found.extend(ProviderLimit(account, s, limit_title(account, s)) for s in windows)
    return found


def provider_limits(db: Database, now: datetime) -> list[ProviderLimit]:
    """The newest reading of every limit, balance and plan window not already shown as an allowance.

    A plan window whose reset is past is left out (its percentage no longer holds).
    """
    from tokenwallet.ledger import accounts, allowances, snapshots

    readings = [s for s in snapshots.latest(db) if not (s.kind is SnapshotKind.RATE_WINDOW and _reset_past(s, now))]
    return limits_from(accounts.list_accounts(db, include_disabled=False), readings, allowances.list_allowances(db))


def _reset_past(snapshot: BalanceSnapshot, now: datetime) -> bool:
    return snapshot.resets_at is not None and snapshot.resets_at <= now
