"""The body of ``tokenwallet budget check``: does a planned spend fit what is left?

Shared by the click command (:mod:`tokenwallet.cli.budget`) and the quick front end
(:mod:`tokenwallet.cli.quick`); no click here.
"""

from __future__ import annotations

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import format_amount
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, echo, emit_json
from tokenwallet.cli.time_option import use_time


def run_budget_check(
    app: AppContext,
    *,
    amount: str | None = None,
    model: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    cached_input_tokens: int = 0,
    name: str | None = None,
    as_json: bool = False,
    at: str | None = None,
) -> int:
    """Answer whether the planned spend fits; the exit status: 0 if it fits every allowance checked, 1 if not."""
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
            echo(f"Estimate: {describe(estimate)}")
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
            echo(
                f"{c.allowance.name}: {format_amount(c.amount, unit)} {verdict}; "
                f"{format_amount(c.remaining, unit)} remaining{over}."
            )
    return 0 if answer.fits else 1
