"""`tokenwallet audit`: the append-only log of every change to accounts, allowances and grants."""

from __future__ import annotations

import json

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table


def _json(details: object) -> str:
    """Details as compact, key-sorted JSON (the form the ledger keeps them in)."""
    return json.dumps(details, separators=(",", ":"), sort_keys=True, default=str)


@click.command("audit")
@click.option("--since", help="ISO date/datetime (UTC when naive).")
@click.option("--limit", type=click.IntRange(1, 1_000_000), help="At most this many entries (the oldest first).")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@pass_app
@handle_errors
@names_options
def audit_command(app: AppContext, since: str | None, limit: int | None, as_json: bool) -> None:
    """Show the audit log, oldest first."""
    from tokenwallet.services.audit_log import audit_entries

    entries = audit_entries(app, since=since, limit=limit)
    if as_json:
        emit_json(
            {
                "schema_version": JSON_SCHEMA_VERSION,
                "entries": [
                    {
                        "id": e.id,
                        "at": e.at,
                        "actor": e.actor,
                        "action": e.action,
                        "entity": e.entity,
                        "entity_id": e.entity_id,
                        "details": e.details,
                    }
                    for e in entries
                ],
            }
        )
        return
    if not entries:
        click.echo("The audit log is empty.")
        return
    table(
        ["at (UTC)", "actor", "action", "entity", "details"],
        [
            [e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, f"{e.entity}:{e.entity_id}", _json(e.details)[:80]]
            for e in entries
        ],
    )


COMMANDS: list[click.Command] = [audit_command]
