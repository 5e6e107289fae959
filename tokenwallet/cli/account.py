"""`tokenwallet account`: add, list, test and remove provider accounts.

The key goes to the OS keyring (service ``tokenwallet``, user name = the account id) and never
appears on the command line: it is read from a hidden prompt or, with ``--key-stdin``, from
standard input.  The ledger keeps only the last four characters as a hint.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table
from tokenwallet.cli.poll_output import outcome_json
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.errors import UserInputError
from tokenwallet.sources.registry import CONNECTORS


@click.group("account")
def account_group() -> None:
    """Provider accounts whose usage, cost or balance APIs tokenwallet polls."""


def _read_key(key_stdin: bool, kind: str) -> Any:
    from tokenwallet.secrets import ApiKey

    if key_stdin:
        text = sys.stdin.read()
    else:
        text = click.prompt(f"Key for {kind} (input hidden)", hide_input=True, default="", show_default=False)
    try:
        return ApiKey(text)
    except ValueError as exc:
        raise UserInputError(
            f"No usable key was given ({exc}). Paste {CONNECTORS[kind].key_help} at the prompt, "
            "or pipe it in with --key-stdin."
        ) from None


@account_group.command("add")
@click.argument("kind", type=click.Choice(sorted(CONNECTORS)))
@click.option("--label", required=True, help="A name you recognise, e.g. 'work OpenAI'.")
@click.option("--base-url", default="", help="API base URL (required for LiteLLM; for proxies and regional hosts).")
@click.option("--key-stdin", is_flag=True, help="Read the key from standard input instead of a hidden prompt.")
@click.option("--json", "as_json", is_flag=True, help="Print the new account as JSON.")
@pass_app
@handle_errors
def add_command(app: AppContext, kind: str, label: str, base_url: str, key_stdin: bool, as_json: bool) -> None:
    """Add a KIND account; its key is stored in the OS keyring, never in a file."""
    from tokenwallet.ledger import accounts as accounts_db
    from tokenwallet.sources.http import check_base_url

    connector = CONNECTORS[kind]
    if not label.strip():
        raise UserInputError("--label cannot be empty; give a name such as 'work OpenAI'.")
    if base_url:
        base_url = check_base_url(base_url)
    elif not connector.default_base_url:
        raise UserInputError(f"{connector.display_name} needs --base-url (your gateway, e.g. https://llm.example.com).")
    store = app.secret_store()
    store.check()  # before anything is read or written: no usable keyring means nothing happens
    key = _read_key(key_stdin, kind)
    account = Account(
        id=accounts_db.new_account_id(AccountKind(kind)),
        kind=AccountKind(kind),
        label=label.strip(),
        base_url=base_url,
        key_hint=key.hint,
    )
    store.set(account.id, key)
    try:
        added = accounts_db.add(app.ledger(), account, at=app.clock())
    except Exception:
        store.delete(account.id)  # leave no orphaned secret behind
        raise
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "account": _account_json(added)})
        return
    click.echo(f"Added {added.id} ({connector.display_name}, key …{added.key_hint}) in {store.description}.")
    click.echo(f"Check it with `tokenwallet account test {added.id}`.")


def _account_json(account: Account, sync: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": account.id,
        "kind": account.kind.value,
        "label": account.label,
        "base_url": account.base_url,
        "key_hint": account.key_hint,
        "enabled": account.enabled,
        "created_at": account.created_at,
    }
    if sync is not None:
        data["sync"] = {
            "last_attempt": sync.last_attempt,
            "last_success": sync.last_success,
            "last_error": sync.last_error,
            "error_kind": sync.error_kind,
            "failures": sync.failures,
            "next_due": sync.next_due,
        }
    return data


@account_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
@handle_errors
def list_command(app: AppContext, as_json: bool) -> None:
    """List accounts with their key hint and sync state (never the key)."""
    from tokenwallet.ledger import accounts as accounts_db
    from tokenwallet.ledger import sync_state

    db = app.ledger()
    rows = [(a, sync_state.get(db, a.id)) for a in accounts_db.list_accounts(db)]
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "accounts": [_account_json(a, s) for a, s in rows]})
        return
    if not rows:
        click.echo("No accounts. Add one with `tokenwallet account add KIND --label NAME`.")
        return
    table(
        ["id", "kind", "label", "key", "last success", "error"],
        [
            (
                a.id,
                a.kind.value,
                a.label,
                f"…{a.key_hint}" if a.key_hint else "",
                s.last_success.isoformat(timespec="minutes") if s.last_success else "never",
                s.last_error.splitlines()[0][:60] if s.last_error else "",
            )
            for a, s in rows
        ],
    )


@account_group.command("test")
@click.argument("account_id")
@click.option("--json", "as_json", is_flag=True, help="Print the poll outcome as JSON.")
@pass_app
@handle_errors
def test_command(app: AppContext, account_id: str, as_json: bool) -> None:
    """Poll ACCOUNT_ID once now and say whether it worked (exit 1 if not)."""
    from tokenwallet.ledger import accounts as accounts_db

    accounts_db.get(app.ledger(), account_id)
    outcome = app.poll_service().poll(account_id)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "outcome": outcome_json(outcome)})
    elif outcome.ok:
        click.echo(f"{account_id}: OK ({outcome.records} records, {outcome.snapshots} snapshots).")
    else:
        click.echo(f"{account_id}: FAILED ({outcome.error_kind}): {outcome.error}", err=True)
    if not outcome.ok:
        raise click.exceptions.Exit(1)


@account_group.command("remove")
@click.argument("account_id")
@pass_app
@handle_errors
def remove_command(app: AppContext, account_id: str) -> None:
    """Remove ACCOUNT_ID and delete its key from the keyring; recorded usage stays for reports."""
    from tokenwallet.ledger import accounts as accounts_db

    db = app.ledger()
    account = accounts_db.get(db, account_id)
    if account.kind.needs_key:
        app.secret_store().delete(account_id)
    accounts_db.remove(db, account_id, at=app.clock())
    click.echo(f"Removed {account_id}; its key was deleted from the keyring and its history kept.")


COMMANDS: list[click.Command] = [account_group]
