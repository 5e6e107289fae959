"""Agent-log accounts from the settings window: the folder to read, and how their usage counts.

A Claude Code, Codex CLI or Gemini CLI account reads a folder of log files on this machine; it has
no key and no base URL.  The window offers the folder the agent uses here, and the kinds of account
such a source can be billed through (:func:`bills_through`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.errors import UserInputError

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def default_folder(kind: AccountKind) -> str:
    """The log folder ``kind``'s agent uses on this machine ('' when none is found)."""
    from tokenwallet.sources.agent_logs.discovery import detect

    roots = detect(os.environ, Path.home()).get(kind, [])
    return str(roots[0]) if roots else ""


def folders(account: Account) -> list[str]:
    """The folders a log account reads."""
    paths = account.config.get("paths", [])
    return [str(p) for p in paths] if isinstance(paths, list) else []


def add_log_account(ctx: AppContext, *, kind: AccountKind, label: str, folder: str) -> Account:
    """Add an account that reads ``kind``'s logs in ``folder`` (checked to exist); audited like any account."""
    from tokenwallet.ledger import accounts as accounts_db
    from tokenwallet.services.accounts import kind_name, validate_details
    from tokenwallet.sources.agent_logs.discovery import normalise_root

    if not kind.is_local_log:
        raise UserInputError(f"A {kind_name(kind)} account is read through its API, not from a folder.", field="kind")
    details = validate_details(kind, label=label)
    text = folder.strip()
    if not text:
        raise UserInputError(f"Choose the folder where {kind_name(kind)} keeps its logs.", field="folder")
    root = normalise_root(kind, Path(text)).expanduser().resolve()
    if not root.is_dir():
        raise UserInputError(
            f"The folder {text} does not exist; choose the folder {kind_name(kind)} writes.", field="folder"
        )
    for other in accounts_db.list_accounts(ctx.ledger()):
        if other.kind is kind and str(root) in folders(other):
            raise UserInputError(
                f"“{other.label}” already reads {root}; its usage would be counted twice.", field="folder"
            )
    now = ctx.clock()
    account = Account(
        id=accounts_db.new_account_id(kind),
        kind=kind,
        label=details.label,
        created_at=now,
        config={"paths": [str(root)]},
    )
    return accounts_db.add(ctx.ledger(), account, at=now)


def bills_through(kind: AccountKind) -> tuple[AccountKind, ...]:
    """The kinds of account a log source of ``kind`` can be billed through (its provider's API, or a gateway)."""
    from tokenwallet.services import accounts as account_service

    return account_service._BILLED_THROUGH.get(kind, ())  # the one table of who bills whom
