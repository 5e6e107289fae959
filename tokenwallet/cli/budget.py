"""`tokenwallet budget check`: a gate for scripts and agents ("can I afford this task?").

Exit status 0 when the amount fits what is left of every allowance checked, 1 when it does not,
2 for bad input.  The amount is typed (``--amount``) or priced from the catalog for a planned model
call (``--model`` with token counts, :mod:`tokenwallet.services.estimates`).
"""

from __future__ import annotations

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.run_budget_check import run_budget_check


@click.group("budget")
def budget_group() -> None:
    """Ask whether a planned spend fits your allowance."""


@budget_group.command("check")
@click.option("--amount", help="Planned spend: dollars for usd allowances, tokens for token ones.")
@click.option("--model", help="Or price a planned call to this model from the catalog...")
@click.option("--input-tokens", type=int, help="...with this many input tokens (not read from a cache),")
@click.option("--output-tokens", type=int, help="...this many output tokens,")
@click.option("--cached-input-tokens", type=int, default=0, show_default=True, help="...and these cache reads.")
@click.option("--allowance", "name", help="Check this allowance (default: every usd allowance).")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON answer.")
@click.option("--at", "at", help="Answer as at this time (ISO date or datetime, your zone when naive).")
@pass_app
@handle_errors
@names_options
def check_command(
    app: AppContext,
    amount: str | None,
    model: str | None,
    input_tokens: int | None,
    output_tokens: int | None,
    cached_input_tokens: int,
    name: str | None,
    as_json: bool,
    at: str | None,
) -> None:
    """Exit 0 if the planned spend fits the remaining allowance, 1 if not.

    Give the spend with --amount, or describe the call: --model M --input-tokens N
    --output-tokens N [--cached-input-tokens N] prices it with the catalog (the price of the
    day) and checks the cost against usd allowances and the tokens against token allowances.
    """
    code = run_budget_check(
        app,
        amount=amount,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=cached_input_tokens,
        name=name,
        as_json=as_json,
        at=at,
    )
    if code:
        raise click.exceptions.Exit(code)


COMMANDS: list[click.Command] = [budget_group]
