"""`tokenwallet account`: add, list, test, edit and remove provider accounts.

The key goes to the OS keyring (service ``tokenwallet``, user name = the account id) and never
appears on the command line: it is read from a hidden prompt or, with ``--key-stdin``, from
standard input.  The ledger keeps only the last four characters as a hint.  ``--api-key-id``,
``--project-id``, ``--workspace-id`` and ``--user-email`` (repeatable) narrow an organization
account to the user's own usage.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table
from tokenwallet.cli.poll_output import outcome_json
from tokenwallet.domain.accounts import FILTER_DIMENSIONS, Account, AccountFilters, AccountKind
from tokenwallet.domain.errors import DuplicateAccountError, UserInputError
from tokenwallet.services import accounts as account_service
from tokenwallet.sources.registry import CONNECTORS


@click.group("account")
def account_group() -> None:
    """Provider accounts whose usage, cost or balance APIs tokenwallet polls."""


def _read_key(key_stdin: bool, kind: str) -> str:
    if key_stdin:
        return sys.stdin.read()
    text: str = click.prompt(f"Key for {kind} (input hidden)", hide_input=True, default="", show_default=False)
    return text


@contextmanager
def _key_prompt_named(kind: str) -> Iterator[None]:
    """Say where a refused key came from and what to give instead (the key has no option)."""
    try:
        yield
    except UserInputError as exc:
        if exc.field != "key" or isinstance(exc, DuplicateAccountError):
            raise
        hint = f" Paste {CONNECTORS[kind].key_help} at the prompt, or pipe it in with --key-stdin."
        raise UserInputError(f"{exc}{hint}", field="key") from None


def filter_options(func: Any) -> Any:
    """The repeatable options that narrow an organization account to the user's own usage."""
    for name, help_text in reversed(
        [
            (
                "--api-key-id",
                "Count only this api key's usage (OpenAI key id, Anthropic api key id, OpenRouter key hash).",
            ),
            ("--project-id", "Count only this OpenAI project's usage."),
            ("--workspace-id", "Count only this Anthropic workspace's usage."),
            ("--user-email", "Count only this login's rows of the Anthropic Claude Code report."),
        ]
    ):
        func = click.option(name, multiple=True, metavar="ID", help=help_text + " Repeatable.")(func)
    return func


def _filters(**given: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The filter options that were given, by dimension."""
    return {dimension: values for dimension, values in given.items() if values}


@account_group.command("add")
@click.argument("kind", type=click.Choice(sorted(CONNECTORS)))
@click.option("--label", required=True, help="A name you recognise, e.g. 'work OpenAI'.")
@click.option("--base-url", default="", help="API base URL (required for LiteLLM; for proxies and regional hosts).")
@click.option("--key-stdin", is_flag=True, help="Read the key from standard input instead of a hidden prompt.")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the new account as JSON.")
@pass_app
@handle_errors
@names_options
def add_command(
    app: AppContext,
    kind: str,
    label: str,
    base_url: str,
    key_stdin: bool,
    api_key_id: tuple[str, ...],
    project_id: tuple[str, ...],
    workspace_id: tuple[str, ...],
    user_email: tuple[str, ...],
    as_json: bool,
) -> None:
    """Add a KIND account; its key is stored in the OS keyring, never in a file.

    An organization admin key sees everyone's usage: give your own api key, project, workspace or
    login to count only yours.  A key already used by another account (with overlapping filters) is
    refused.
    """
    account_kind = AccountKind(kind)
    given = _filters(api_key_id=api_key_id, project_id=project_id, workspace_id=workspace_id, user_email=user_email)
    filters = AccountFilters.from_pairs([(d, v) for d, values in given.items() for v in values])
    with _key_prompt_named(kind):
        account_service.validate_details(account_kind, label=label, base_url=base_url)  # before asking for the key
        account_service.validate_filters(account_kind, filters)
        store = app.secret_store()
        store.check()  # before anything is read or written: no usable keyring means nothing happens
        key = _read_key(key_stdin, kind)
        added = account_service.add_account(
            app, store, kind=account_kind, label=label, base_url=base_url, key=key, filters=filters
        )
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "account": _account_json(added)})
        return
    connector = CONNECTORS[kind]
    click.echo(f"Added {added.id} ({connector.display_name}, key …{added.key_hint}) in {store.description}.")
    if added.filters:
        click.echo(f"It counts only {account_service.describe_filters(added.filters)}.")
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
        "billed_by": account.billed_by,
        "subscription": account.subscription,
        "filters": {FILTER_DIMENSIONS[d]: list(account.filters.values(d)) for d in FILTER_DIMENSIONS},
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
    rows = [(state.account, state.sync) for state in account_service.account_states(app)]
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
    outcome = account_service.check_connection(app, account_id)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "outcome": outcome_json(outcome)})
    elif outcome.ok:
        click.echo(f"{account_id}: OK ({outcome.records} records, {outcome.snapshots} snapshots).")
    else:
        click.echo(f"{account_id}: FAILED ({outcome.error_kind}): {outcome.error}", err=True)
    if not outcome.ok:
        raise click.exceptions.Exit(1)


@account_group.command("edit")
@click.argument("account_id")
@click.option("--label", help="A new name for the account.")
@click.option(
    "--billed-by",
    metavar="ACCOUNT",
    help="Agent logs only: the API or gateway account these requests are billed through; its bill replaces "
    "the logs' estimates where it has reported.",
)
@click.option("--no-billed-by", is_flag=True, help="Agent logs only: not billed through another account.")
@click.option(
    "--subscription/--no-subscription",
    default=None,
    help="Agent logs only: usage under a subscription plan (counted in token allowances, not as dollars).",
)
@filter_options
@click.option("--no-filters", is_flag=True, help="Count the whole organization (clears the filters first).")
@click.option("--json", "as_json", is_flag=True, help="Print the account as JSON.")
@pass_app
@handle_errors
@names_options
def edit_command(
    app: AppContext,
    account_id: str,
    label: str | None,
    billed_by: str | None,
    no_billed_by: bool,
    subscription: bool | None,
    api_key_id: tuple[str, ...],
    project_id: tuple[str, ...],
    workspace_id: tuple[str, ...],
    user_email: tuple[str, ...],
    no_filters: bool,
    as_json: bool,
) -> None:
    """Change ACCOUNT_ID's label, its filters, or how an agent-log source's usage counts; options not given keep
    their value.  A filter option replaces that filter's values; --no-filters clears them all first.  New filters
    make the next poll read the last month again, narrowed to them."""
    if billed_by and no_billed_by:
        raise UserInputError("Give either --billed-by ACCOUNT or --no-billed-by, not both.")
    account = account_service.get_account(app, account_id)
    if label is not None:
        account = account_service.update_account(app, None, account_id, label=label, base_url=account.base_url)
    given = _filters(api_key_id=api_key_id, project_id=project_id, workspace_id=workspace_id, user_email=user_email)
    if given or no_filters:
        kept = [] if no_filters else [(d, v) for d, v in account.filters.pairs() if d not in given]
        pairs = kept + [(d, v) for d, values in given.items() for v in values]
        account = account_service.set_filters(app, account_id, AccountFilters.from_pairs(pairs))
    if billed_by or no_billed_by or subscription is not None:
        account = account_service.set_stream(
            app,
            account_id,
            billed_by=None if no_billed_by else billed_by if billed_by else account_service.KEEP,
            subscription=subscription,
        )
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "account": _account_json(account)})
        return
    how = (
        f"billed through {account.billed_by}"
        if account.billed_by
        else "under a subscription"
        if account.subscription
        else f"counting only {account_service.describe_filters(account.filters)}"
        if account.filters
        else "counted as recorded"
    )
    click.echo(f"{account.id} ({account.label}): {how}.")


@account_group.command("remove")
@click.argument("account_id")
@pass_app
@handle_errors
def remove_command(app: AppContext, account_id: str) -> None:
    """Remove ACCOUNT_ID and delete its key from the keyring; recorded usage stays for reports.

    Without a usable keyring the account is still removed; you are told that its key stayed.
    """
    removed = account_service.remove_account(app, app.secret_store(), account_id)
    if removed.key_deleted:
        click.echo(f"Removed {account_id}; its key was deleted from the keyring and its history kept.")
        return
    click.echo(f"Removed {account_id}; its history was kept.")
    if removed.key_problem:
        click.echo(f"warning: {removed.key_problem}", err=True)


COMMANDS: list[click.Command] = [account_group]
