"""``tokenwallet allowance edit NAME``: change an allowance's definition in place (same id, audited)."""

from __future__ import annotations

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import format_amount
from tokenwallet.cli.allowance_json import allowance_json
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import emit_json


@click.command("edit")
@click.argument("name")
@click.option("--name", "new_name", help="A new name.")
@click.option("--amount", help="Per period: dollars (12.50) for usd, a whole number for tokens.")
@click.option("--unit", help="usd or tokens.")
@click.option("--cadence", help="monthly, weekly, quarterly, yearly or one_off.")
@click.option("--anchor-day", type=int, help="Day a period starts: 1-28 for months, 1 (Mon)-7 (Sun) for weeks.")
@click.option("--rollover/--no-rollover", default=None, help="Carry unspent value into the next period, or stop.")
@click.option("--rollover-cap", help="Carry unspent value up to this amount.")
@click.option("--scope", "scope", multiple=True, metavar="ACCOUNT", help="Count only these accounts (repeatable).")
@click.option("--all-accounts", is_flag=True, help="Count every account again (drop --scope).")
@click.option(
    "--count-subscriptions/--no-count-subscriptions",
    default=None,
    help="Count the API-equivalent value of subscription usage as spend (usd), or stop.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the changed allowance as JSON.")
@pass_app
@handle_errors
@names_options
def edit_command(
    app: AppContext,
    /,
    name: str,
    new_name: str | None,
    amount: str | None,
    unit: str | None,
    cadence: str | None,
    anchor_day: int | None,
    rollover: bool | None,
    rollover_cap: str | None,
    scope: tuple[str, ...],
    all_accounts: bool,
    count_subscriptions: bool | None,
    as_json: bool,
) -> None:
    """Change allowance NAME; options not given keep their value."""
    from tokenwallet.services.allowances import change_allowance

    stored = change_allowance(
        app,
        name,
        name=new_name,
        amount=amount,
        unit=unit,
        cadence=cadence,
        anchor_day=anchor_day,
        rollover=rollover,
        rollover_cap=rollover_cap,
        scope=() if all_accounts else (scope or None),
        count_subscriptions=count_subscriptions,
    )
    if as_json:
        emit_json(allowance_json(stored))
    else:
        click.echo(
            f"Changed allowance {stored.name!r}: {format_amount(stored.amount, stored.unit)} {stored.cadence.value}."
        )
