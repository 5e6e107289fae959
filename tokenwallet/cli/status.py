"""`tokenwallet status`: every allowance, account and latest snapshot, for people or as stable JSON."""

from __future__ import annotations

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.run_status import run_status


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document instead of a table.")
@click.option("--at", "at", help="Show the state at this time (ISO date or datetime, your zone when naive).")
@pass_app
@handle_errors
@names_options
def status_command(app: AppContext, as_json: bool, at: str | None) -> None:
    """Show every allowance (spent, remaining, forecast) and every account's sync state."""
    run_status(app, as_json=as_json, at=at)


COMMANDS: list[click.Command] = [status_command]
