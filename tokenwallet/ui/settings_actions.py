"""What the settings dialog does to accounts, the keyring and start at login (no widgets here).

Kept apart from the dialog so the dialog stays a thin view and these steps are tested directly.
Allowances are changed through :mod:`tokenwallet.services.allowances`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.errors import TokenwalletError

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.secrets.store import SecretStore


def keyring_problem(store: SecretStore) -> str:
    """Why keys cannot be kept in ``store`` (with what to do), or '' when it is usable."""
    try:
        store.check()
    except TokenwalletError as exc:
        remedy = getattr(exc, "remedy", "")
        return f"{exc} {remedy}".strip()
    return ""


def add_account(
    ctx: AppContext, store: SecretStore, *, kind: AccountKind, label: str, base_url: str, key: str
) -> Account:
    """Add an account and put its key in ``store`` (the ledger gets only the last characters)."""
    from tokenwallet.domain.errors import UserInputError
    from tokenwallet.ledger import accounts
    from tokenwallet.secrets.store import ApiKey, key_hint

    if not label.strip():
        raise UserInputError("Give the account a name, e.g. “Work OpenAI”.")
    if kind.needs_key and not key.strip():
        raise UserInputError(f"A {kind.value} account needs its API key; paste it into the key field.")
    now = ctx.clock()
    account_id = accounts.new_account_id(kind)
    if kind.needs_key:
        store.set(account_id, ApiKey(key.strip()))  # key first: a failing keyring leaves no half account
    return accounts.add(
        ctx.ledger(),
        Account(
            id=account_id,
            kind=kind,
            label=label.strip(),
            base_url=base_url.strip(),
            key_hint=key_hint(key) if key.strip() else "",
            created_at=now,
        ),
        at=now,
    )


def update_account(
    ctx: AppContext, store: SecretStore, account_id: str, *, label: str, base_url: str, key: str
) -> Account:
    """Rename an account, change its URL and, when ``key`` is given, replace its key."""
    from tokenwallet.ledger import accounts
    from tokenwallet.secrets.store import ApiKey, key_hint

    changes: dict[str, Any] = {"label": label.strip(), "base_url": base_url.strip()}
    if key.strip():
        store.set(account_id, ApiKey(key.strip()))
        changes["key_hint"] = key_hint(key)
    return accounts.update(ctx.ledger(), account_id, at=ctx.clock(), **changes)


def remove_account(ctx: AppContext, store: SecretStore, account_id: str) -> None:
    """Forget the account's key and mark it removed (its recorded usage stays for reports)."""
    from tokenwallet.ledger import accounts

    accounts.remove(ctx.ledger(), account_id, at=ctx.clock())
    store.delete(account_id)


def apply_start_at_login(enabled: bool) -> str:
    """Turn start-at-login on or off; returns what went wrong in plain words, or ''."""
    from tokenwallet.platform.autostart import set_autostart

    try:
        set_autostart(enabled)
    except (OSError, TokenwalletError) as exc:
        return f"Could not change start at login: {exc}"
    return ""
