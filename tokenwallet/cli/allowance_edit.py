"""``tokenwallet allowance edit NAME``: change an allowance's definition in place (same id, audited)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import format_amount
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import emit_json
from tokenwallet.domain.allowance import Allowance, Cadence, Unit
from tokenwallet.domain.money import micros_to_decimal


def _as_text(amount: int, unit: Unit) -> str:
    return f"{micros_to_decimal(amount).normalize():f}" if unit is Unit.USD else str(amount)


def edited_allowance(
    app: AppContext,
    before: Allowance,
    *,
    name: str,
    amount: str,
    unit: str,
    cadence: str,
    anchor_day: int | None,
    rollover: bool,
    rollover_cap: str | None,
    scope: tuple[str, ...],
) -> Allowance:
    """Validate a new definition like ``allowance add`` does, keeping ``before``'s id, start, zone and end."""
    from tokenwallet.cli.allowance import build_allowance

    draft = build_allowance(
        app,
        name=name,
        amount=amount,
        unit=unit,
        cadence=cadence,
        anchor_day=anchor_day,
        timezone=before.timezone,
        starts=None,
        ends=None,
        rollover=rollover,
        rollover_cap=rollover_cap,
        rollover_expires_days=before.rollover.expires_days if before.rollover and rollover else None,
        scope=scope,
        providers=before.scope.providers,
        models=before.scope.models,
        backing_account=None,
    )
    return replace(
        draft,
        id=before.id,
        starts_at=before.starts_at,
        ends_at=before.ends_at,
        backing_account_id=before.backing_account_id,
        created_at=before.created_at,
    )


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
@click.option("--json", "as_json", is_flag=True, help="Print the changed allowance as JSON.")
@pass_app
@handle_errors
def edit_command(app: AppContext, /, name: str, as_json: bool, **options: Any) -> None:
    """Change allowance NAME; options not given keep their value."""
    from tokenwallet.cli.allowance import allowance_json
    from tokenwallet.ledger import allowances

    db = app.ledger()
    before = allowances.find(db, name)
    unit = options["unit"] or before.unit.value
    cap = options["rollover_cap"]
    if cap is None and before.rollover is not None and before.rollover.cap is not None:
        cap = _as_text(before.rollover.cap, before.unit)
    rollover = before.rollover is not None if options["rollover"] is None else options["rollover"]
    cadence = options["cadence"] or before.cadence.value
    edited = edited_allowance(
        app,
        before,
        name=options["new_name"] or before.name,
        amount=options["amount"] or _as_text(before.amount, before.unit),
        unit=unit,
        cadence=cadence,
        anchor_day=None if cadence == Cadence.ONE_OFF.value else options["anchor_day"] or before.anchor_day,
        rollover=rollover,
        rollover_cap=cap if rollover else None,
        scope=() if options["all_accounts"] else tuple(options["scope"]) or before.scope.accounts,
    )
    stored = allowances.replace(db, edited, at=app.clock())
    if as_json:
        emit_json(allowance_json(stored))
    else:
        click.echo(
            f"Changed allowance {stored.name!r}: {format_amount(stored.amount, stored.unit)} {stored.cadence.value}."
        )
