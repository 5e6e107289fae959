"""Demo accounts wired to a running provider emulator, one per provider (for manual tries and benchmarks).

The keys go into the given secret store (normally a session-only :class:`MemorySecretStore`),
the accounts into the ledger; polling them then works exactly like real accounts, over HTTP.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.emulator import KINDS, RunningEmulator
from tokenwallet.ledger import accounts as accounts_db
from tokenwallet.secrets import ApiKey, SecretStore, key_hint

if TYPE_CHECKING:
    from sqlite_utils import Database

DEMO_LABELS = {
    "openai": "Demo OpenAI org",
    "anthropic": "Demo Anthropic org",
    "openrouter": "Demo OpenRouter key",
    "litellm": "Demo company gateway",
    "deepseek": "Demo DeepSeek",
    "moonshot": "Demo Moonshot",
}


def add_demo_accounts(
    db: Database, secrets: SecretStore, emulator: RunningEmulator, *, at: datetime, kinds: tuple[str, ...] = KINDS
) -> list[Account]:
    """Add one account per kind pointing at ``emulator`` (ids ``demo-<kind>``); existing ones are kept."""
    added: list[Account] = []
    existing = {a.id for a in accounts_db.list_accounts(db)}
    for kind in kinds:
        account_id = f"demo-{kind}"
        key = emulator.keys[kind]
        secrets.set(account_id, ApiKey(key))
        if account_id in existing:
            accounts_db.update(db, account_id, at=at, actor="demo", base_url=emulator.base_url(kind))
            added.append(accounts_db.get(db, account_id))
            continue
        account = Account(
            id=account_id,
            kind=AccountKind(kind),
            label=DEMO_LABELS[kind],
            base_url=emulator.base_url(kind),
            key_hint=key_hint(key),
        )
        added.append(accounts_db.add(db, account, at=at, actor="demo"))
    return added
