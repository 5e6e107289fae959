"""`tokenwallet budget check`: a gate for scripts and agents ("can I afford this task?").

Exit status 0 when the amount fits what is left of every allowance checked, 1 when it does not,
2 for bad input.  The amount is typed (``--amount``) or priced from the catalog for a planned model
call (``--model`` with token counts, :mod:`tokenwallet.services.estimates`).
"""

from __future__ import annotations

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import format_amount
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json
from tokenwallet.cli.time_option import use_time


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
    from tokenwallet.domain.errors import UserInputError
    from tokenwallet.services.budget_check import check_budget

    if at is not None:
        use_time(app, at)

    estimate = None
    if model is not None or input_tokens is not None or output_tokens is not None:
        if amount is not None:
            raise UserInputError("Give either --amount or --model with token counts, not both.")
        if model is None or input_tokens is None or output_tokens is None:
            raise UserInputError("An estimate needs --model, --input-tokens and --output-tokens.")
        from tokenwallet.services.estimates import check_estimate, describe, estimate_cost

        estimate = estimate_cost(
            model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_input_tokens=cached_input_tokens,
            at=app.clock(),
        )
        answer = check_estimate(app, estimate, name)
        if not as_json:
            click.echo(f"Estimate: {describe(estimate)}")
    elif amount is None:
        raise UserInputError("Give the planned spend with --amount, or a call with --model and token counts.")
    else:
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
                    "overspent": c.overspent,
                    "formatted": {
                        "amount": format_amount(c.amount, unit),
                        "remaining": format_amount(c.remaining, unit),
                        "shortfall": format_amount(c.shortfall, unit),
                        "overspent": format_amount(c.overspent, unit),
                    },
                }
            )
        document = {
            "schema_version": JSON_SCHEMA_VERSION,
            "fits": answer.fits,
            "checked_at": answer.checked_at,
            "checks": checks,
        }
        if estimate is not None:
            document["estimate"] = estimate.as_json()
        emit_json(document)
    else:
        for c in answer.checks:
            unit = c.allowance.unit
            verdict = "fits" if c.fits else f"does not fit (short by {format_amount(c.shortfall, unit)})"
            over = f", already {format_amount(c.overspent, unit)} over the allowance" if c.overspent > 0 else ""
            click.echo(
                f"{c.allowance.name}: {format_amount(c.amount, unit)} {verdict}; "
                f"{format_amount(c.remaining, unit)} remaining{over}."
            )
    if not answer.fits:
        raise click.exceptions.Exit(1)


COMMANDS: list[click.Command] = [budget_group]
