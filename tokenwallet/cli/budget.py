"""`tokenwallet budget check`: a gate for scripts and agents ("can I afford this task?").

Exit status 0 when the amount fits what is left of every allowance checked, 1 when it does not,
2 for bad input.
"""

from __future__ import annotations

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import format_amount
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json


@click.group("budget")
def budget_group() -> None:
    """Ask whether a planned spend fits your allowance."""


@budget_group.command("check")
@click.option("--amount", required=True, help="Planned spend: dollars for usd allowances, tokens for token ones.")
@click.option("--allowance", "name", help="Check this allowance (default: every usd allowance).")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON answer.")
@pass_app
@handle_errors
@names_options
def check_command(app: AppContext, amount: str, name: str | None, as_json: bool) -> None:
    """Exit 0 if --amount fits the remaining allowance, 1 if not."""
    from tokenwallet.services.budget_check import check_budget

    answer = check_budget(app, amount, name)
    if as_json:
        checks = []
        for c in answer.checks:
            unit = c.allowance.unit
            checks.append(
                {
                    "allowance": c.allowance.name,
                    "unit": unit.value,
                    "amount": c.amount,
                    "remaining": c.remaining,
                    "fits": c.fits,
                    "shortfall": c.shortfall,
                    "period_end": c.period_end,
                    "formatted": {
                        "amount": format_amount(c.amount, unit),
                        "remaining": format_amount(c.remaining, unit),
                        "shortfall": format_amount(c.shortfall, unit),
                    },
                }
            )
        emit_json(
            {
                "schema_version": JSON_SCHEMA_VERSION,
                "fits": answer.fits,
                "checked_at": answer.checked_at,
                "checks": checks,
            }
        )
    else:
        for c in answer.checks:
            unit = c.allowance.unit
            verdict = "fits" if c.fits else f"does not fit (short by {format_amount(c.shortfall, unit)})"
            click.echo(
                f"{c.allowance.name}: {format_amount(c.amount, unit)} {verdict}; "
                f"{format_amount(c.remaining, unit)} remaining."
            )
    if not answer.fits:
        raise click.exceptions.Exit(1)


COMMANDS: list[click.Command] = [budget_group]
