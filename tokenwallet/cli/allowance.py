"""`tokenwallet allowance`: define allowances and add top-ups or adjustments.

Parses options, calls :mod:`tokenwallet.services.allowances` and presents the result.  Every
change is written to the audit log in the same transaction; bad input is refused with exit
status 2 before anything is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import format_amount
from tokenwallet.cli.allowance_edit import edit_command
from tokenwallet.cli.allowance_json import allowance_json, grant_json
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table
from tokenwallet.domain.allowance import Allowance, Cadence

CADENCES = [c.value for c in Cadence]


@click.group("allowance")
def allowance_group() -> None:
    """Define your allowances and record top-ups."""


@allowance_group.command("add")
@click.argument("name")
@click.option("--amount", required=True, help="Per period: dollars (12.50) for usd, a whole number for tokens.")
@click.option("--unit", default="usd", show_default=True, help="usd or tokens.")
@click.option("--cadence", default="monthly", show_default=True, help=f"One of: {', '.join(CADENCES)}.")
@click.option("--anchor-day", type=int, help="Day a period starts: 1-28 for months, 1 (Mon)-7 (Sun) for weeks.")
@click.option("--timezone", "timezone", help="IANA zone periods are computed in (default: your settings' zone).")
@click.option("--starts", help="ISO date the allowance starts (default: the start of the current period).")
@click.option("--ends", help="ISO date it ends (required for one-off; inclusive for a bare date).")
@click.option("--rollover", is_flag=True, help="Carry unspent value into the next period (no cap).")
@click.option("--rollover-cap", help="Carry unspent value up to this amount.")
@click.option("--rollover-expires-days", type=int, help="Carried value lapses this many days into the new period.")
@click.option("--scope", "scope", multiple=True, metavar="ACCOUNT", help="Count only these accounts (repeatable).")
@click.option("--provider", "providers", multiple=True, help="Count only these providers (repeatable).")
@click.option("--model", "models", multiple=True, help="Count only these models (repeatable).")
@click.option("--backing-account", help="A gateway account whose server-side limit defines this allowance.")
@click.option(
    "--count-subscriptions",
    is_flag=True,
    help="Count the API-equivalent value of subscription usage (ChatGPT, Claude plans) as spend (usd).",
)
@click.option(
    "--no-default-alerts",
    "no_default_alerts",
    is_flag=True,
    help="Add no alert rules (by default: 80/95/100% used, runs out before the reset, 3 days before value lapses).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new allowance as JSON.")
@pass_app
@handle_errors
@names_options
def add_command(app: AppContext, /, name: str, as_json: bool, no_default_alerts: bool, **options: Any) -> None:
    """Add an allowance NAME, with the default alert rules unless --no-default-alerts."""
    from tokenwallet.services.allowances import add_allowance

    stored = add_allowance(app, name=name, default_alerts=not no_default_alerts, **options)
    if as_json:
        emit_json(allowance_json(stored))
    else:
        click.echo(
            f"Added {stored.cadence.value} allowance {stored.name!r}: {format_amount(stored.amount, stored.unit)}"
            f" per period from {stored.starts_at.isoformat()} ({stored.timezone})."
        )
        if not no_default_alerts:
            click.echo(
                "Alerts: 80%, 95% and 100% used; runs out before the reset; 3 days before value lapses unspent"
                " (see `tokenwallet alerts list`)."
            )


@allowance_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@pass_app
@handle_errors
def list_command(app: AppContext, as_json: bool) -> None:
    """List allowances."""
    from tokenwallet.services.allowances import list_allowances

    items = list_allowances(app)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "allowances": [allowance_json(a) for a in items]})
        return
    if not items:
        click.echo("No allowances yet. Add one with `tokenwallet allowance add NAME --amount 200`.")
        return
    table(
        ["name", "amount", "cadence", "zone", "scope", "rollover"],
        [
            [
                a.name,
                format_amount(a.amount, a.unit),
                a.cadence.value,
                a.timezone,
                ",".join(a.scope.accounts) or "all accounts",
                _rollover_text(a),
            ]
            for a in items
        ],
    )


@allowance_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print definition, grants and status as JSON.")
@pass_app
@handle_errors
def show_command(app: AppContext, name: str, as_json: bool) -> None:
    """Show one allowance: definition, stored grants and its status now."""
    from tokenwallet.cli.policy_json import link_json
    from tokenwallet.cli.run_status import status_json
    from tokenwallet.services.policy import ownership
    from tokenwallet.services.status import allowance_figures

    shown = allowance_figures(app, name)
    allowance = shown.allowance
    link = ownership(app, allowance.id)
    payload: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "allowance": allowance_json(allowance),
        "status": status_json(shown.status, allowance),
        "policy": link_json(link),
    }
    if as_json:
        emit_json(payload)
        return
    s = payload["status"]
    f = s["formatted"]
    click.echo(f"{allowance.name}: {format_amount(allowance.amount, allowance.unit)} {allowance.cadence.value}")
    if link is not None:
        owned = ", ".join(name.replace("_", " ") for name in link.owned)
        click.echo(f"  policy     set by {link.policy_id} revision {link.revision}, which owns its {owned}")
    click.echo(f"  period     {s['period_start'].isoformat()} .. {s['period_end'].isoformat()}")
    click.echo(
        f"  granted    {f['granted']}   spent {f['spent']}   remaining {f['remaining']}   expired {f['expired']}"
    )
    click.echo(
        f"  used       {s['percent_used']:.1f}%   days left {s['days_left']:.1f}   burn {f['burn_rate_per_day']}/day"
    )
    if s["projected_runout"]:
        click.echo(f"  runs out   {s['projected_runout'].isoformat()} at the current pace")
    for e in s["expiring"]:
        click.echo(
            f"  expiring   {e['at'].isoformat()}: {e['formatted']['remaining_now']} held, "
            f"{e['formatted']['projected_unspent']} will lapse; "
            f"spend {e['formatted']['daily_pace_needed']}/day to use it"
        )
    if s["grants"]:
        click.echo("")
        table(
            ["grant", "kind", "amount", "expires", "consumed", "remaining", "expired"],
            [
                [
                    g["id"],
                    g["kind"],
                    format_amount(g["amount"], allowance.unit),
                    g["expires_at"].isoformat() if g["expires_at"] else "-",
                    format_amount(g["consumed"], allowance.unit),
                    format_amount(g["remaining"], allowance.unit),
                    format_amount(g["expired"], allowance.unit),
                ]
                for g in s["grants"]
            ],
        )


@allowance_group.command("remove")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the removed allowance as JSON.")
@pass_app
@handle_errors
def remove_command(app: AppContext, name: str, as_json: bool) -> None:
    """Remove an allowance (its definition stays in the audit log; recorded usage is kept)."""
    from tokenwallet.services.allowances import remove_allowance

    removed = remove_allowance(app, name)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "removed": allowance_json(removed)})
    else:
        click.echo(f"Removed allowance {removed.name!r}.")


def _describe_expiry(expires_at: datetime | None) -> str:
    return f", expiring {expires_at.isoformat()}" if expires_at else ""


@allowance_group.command("topup")
@click.argument("name")
@click.option("--amount", required=True, help="Dollars (12.50) for usd, a whole number for tokens.")
@click.option("--expires", help="ISO date or datetime the top-up lapses (a bare date lasts through that day).")
@click.option("--at", "at", help="When it was granted (default: now).")
@click.option("--note", default="", help="A note for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="Print the grant as JSON.")
@pass_app
@handle_errors
@names_options
def topup_command(
    app: AppContext, name: str, amount: str, expires: str | None, at: str | None, note: str, as_json: bool
) -> None:
    """Add a top-up to allowance NAME."""
    from tokenwallet.services.allowances import find_allowance
    from tokenwallet.services.grants import add_topup

    allowance = find_allowance(app, name)
    grant = add_topup(app, allowance.id, amount=amount, expires=expires, at=at, note=note)
    if as_json:
        emit_json(grant_json(allowance, grant))
    else:
        click.echo(
            f"Added top-up of {format_amount(grant.amount, allowance.unit)} to {allowance.name!r}"
            f"{_describe_expiry(grant.expires_at)}."
        )


@allowance_group.command("adjust")
@click.argument("name")
@click.option("--amount", required=True, help="A correction, positive or negative (e.g. -5 or 10.25).")
@click.option("--expires", help="ISO date the adjustment lapses (positive adjustments only).")
@click.option("--at", "at", help="When it applies (default: now).")
@click.option("--note", default="", help="Why; kept in the audit log.")
@click.option("--json", "as_json", is_flag=True, help="Print the grant as JSON.")
@pass_app
@handle_errors
@names_options
def adjust_command(
    app: AppContext, name: str, amount: str, expires: str | None, at: str | None, note: str, as_json: bool
) -> None:
    """Add a correction to allowance NAME; negative values withdraw from what is left."""
    from tokenwallet.services.allowances import find_allowance
    from tokenwallet.services.grants import adjust_allowance

    allowance = find_allowance(app, name)
    grant = adjust_allowance(app, allowance.id, amount=amount, expires=expires, at=at, note=note)
    if as_json:
        emit_json(grant_json(allowance, grant))
    else:
        click.echo(f"Recorded adjustment of {format_amount(grant.amount, allowance.unit)} to {allowance.name!r}.")


def _rollover_text(allowance: Allowance) -> str:
    if allowance.rollover is None:
        return "-"
    return "no cap" if allowance.rollover.cap is None else format_amount(allowance.rollover.cap, allowance.unit)


allowance_group.add_command(edit_command)
COMMANDS: list[click.Command] = [allowance_group]
