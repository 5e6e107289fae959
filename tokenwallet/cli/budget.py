"""`tokenwallet budget check`: a gate for scripts and agents ("can I afford this task?").

Exit status 0 when the amount fits what is left of every allowance checked, 1 when it does not,
2 for bad input.
"""

from __future__ import annotations

from typing import Any

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import format_amount, parse_amount
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.errors import UserInputError


@click.group("budget")
def budget_group() -> None:
    """Ask whether a planned spend fits your allowance."""


@budget_group.command("check")
@click.option("--amount", required=True, help="Planned spend: dollars for usd allowances, tokens for token ones.")
@click.option("--allowance", "name", help="Check this allowance (default: every usd allowance).")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON answer.")
@pass_app
@handle_errors
def check_command(app: AppContext, amount: str, name: str | None, as_json: bool) -> None:
    """Exit 0 if --amount fits the remaining allowance, 1 if not."""
    from tokenwallet.ledger import allowances
    from tokenwallet.ledger.status import allowance_status

    db = app.ledger()
    if name:
        chosen = [allowances.find(db, name)]
    else:
        chosen = [a for a in allowances.list_allowances(db) if a.unit is Unit.USD]
        if not chosen:
            raise UserInputError(
                "There is no usd allowance to check against; add one with `tokenwallet allowance add` "
                "or name a token allowance with --allowance."
            )
    now = app.clock()
    checks: list[dict[str, Any]] = []
    for allowance in chosen:
        wanted = parse_amount(amount, allowance.unit)
        status = allowance_status(db, allowance, now)
        fits = wanted <= status.remaining
        checks.append(
            {
                "allowance": allowance.name,
                "unit": allowance.unit.value,
                "amount": wanted,
                "remaining": status.remaining,
                "fits": fits,
                "shortfall": max(wanted - status.remaining, 0),
                "period_end": status.period_end,
                "formatted": {
                    "amount": format_amount(wanted, allowance.unit),
                    "remaining": format_amount(status.remaining, allowance.unit),
                    "shortfall": format_amount(max(wanted - status.remaining, 0), allowance.unit),
                },
            }
        )
    fits_all = all(c["fits"] for c in checks)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "fits": fits_all, "checked_at": now, "checks": checks})
    else:
        for c in checks:
            verdict = "fits" if c["fits"] else f"does not fit (short by {c['formatted']['shortfall']})"
            click.echo(
                f"{c['allowance']}: {c['formatted']['amount']} {verdict}; {c['formatted']['remaining']} remaining."
            )
    if not fits_all:
        raise click.exceptions.Exit(1)


COMMANDS: list[click.Command] = [budget_group]
