"""`tokenwallet allowance`: define allowances and add top-ups or adjustments.

Every change is written to the audit log in the same transaction.  Bad input is refused with
exit status 2 before anything is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import (
    format_amount,
    parse_amount,
    parse_cadence,
    parse_unit,
    parse_when,
    parse_zone,
)
from tokenwallet.budget.periods import period_at
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, RolloverPolicy, Scope
from tokenwallet.domain.errors import UserInputError

CADENCES = [c.value for c in Cadence]


def allowance_json(allowance: Allowance) -> dict[str, Any]:
    """An allowance's definition in the stable JSON shape."""
    return {
        "id": allowance.id,
        "name": allowance.name,
        "unit": allowance.unit.value,
        "amount": allowance.amount,
        "amount_formatted": format_amount(allowance.amount, allowance.unit),
        "cadence": allowance.cadence.value,
        "anchor_day": allowance.anchor_day,
        "timezone": allowance.timezone,
        "starts_at": allowance.starts_at,
        "ends_at": allowance.ends_at,
        "scope": {
            "accounts": list(allowance.scope.accounts),
            "providers": list(allowance.scope.providers),
            "models": list(allowance.scope.models),
        },
        "rollover": None
        if allowance.rollover is None
        else {"cap": allowance.rollover.cap, "expires_days": allowance.rollover.expires_days},
        "backing_account_id": allowance.backing_account_id,
        "created_at": allowance.created_at,
    }


def _default_zone(app: AppContext) -> str:
    try:
        return app.settings.timezone or app.settings.zone().key
    except Exception:  # a broken settings file must not block defining an allowance
        return "UTC"


def _check_anchor(cadence: Cadence, anchor_day: int | None) -> int:
    if anchor_day is None:
        return 1
    if cadence is Cadence.WEEKLY and not 1 <= anchor_day <= 7:
        raise UserInputError(f"--anchor-day {anchor_day} is not a weekday; use 1 (Monday) to 7 (Sunday).")
    if cadence in (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.YEARLY) and not 1 <= anchor_day <= 28:
        raise UserInputError(f"--anchor-day {anchor_day} is not usable; use a day of the month from 1 to 28.")
    if cadence in (Cadence.DAILY, Cadence.ONE_OFF) and anchor_day != 1:
        raise UserInputError(f"--anchor-day does not apply to a {cadence.value} allowance; leave it out.")
    return anchor_day


def build_allowance(
    app: AppContext,
    *,
    name: str,
    amount: str,
    unit: str,
    cadence: str,
    anchor_day: int | None,
    timezone: str | None,
    starts: str | None,
    ends: str | None,
    rollover: bool,
    rollover_cap: str | None,
    rollover_expires_days: int | None,
    scope: tuple[str, ...],
    providers: tuple[str, ...],
    models: tuple[str, ...],
    backing_account: str | None,
) -> Allowance:
    """Validate the options of `allowance add` into an :class:`Allowance` (nothing is written)."""
    from tokenwallet.ledger import accounts
    from tokenwallet.ledger.allowances import new_id

    if not name.strip():
        raise UserInputError("The allowance needs a name, e.g. `tokenwallet allowance add work --amount 200`.")
    the_unit = parse_unit(unit)
    the_cadence = parse_cadence(cadence)
    value = parse_amount(amount, the_unit)
    anchor = _check_anchor(the_cadence, anchor_day)
    zone_name = parse_zone(timezone) if timezone else _default_zone(app)
    now = app.clock()
    ends_at = parse_when(ends, zone_name, what="--ends date", end_of_day=True) if ends else None
    policy: RolloverPolicy | None = None
    if rollover or rollover_cap is not None or rollover_expires_days is not None:
        if the_cadence is Cadence.ONE_OFF:
            raise UserInputError("A one-off allowance has no next period to roll over into; drop the rollover options.")
        if rollover_expires_days is not None and rollover_expires_days <= 0:
            raise UserInputError(
                f"--rollover-expires-days must be a positive number of days, not {rollover_expires_days}."
            )
        cap = parse_amount(rollover_cap, the_unit, what="rollover cap") if rollover_cap is not None else None
        policy = RolloverPolicy(cap=cap, expires_days=rollover_expires_days)
    db = app.ledger()
    for account_id in (*scope, *([backing_account] if backing_account else [])):
        accounts.get(db, account_id)  # NotFoundError (exit 2) names the unknown account
    draft = Allowance(
        id=new_id(),
        name=name.strip(),
        unit=the_unit,
        amount=value,
        cadence=the_cadence,
        starts_at=now,
        timezone=zone_name,
        anchor_day=anchor,
        ends_at=ends_at,
        scope=Scope(tuple(scope), tuple(providers), tuple(models)),
        rollover=policy,
        backing_account_id=backing_account,
        created_at=now,
    )
    if starts:
        starts_at = parse_when(starts, zone_name, what="--starts date")
    elif the_cadence is Cadence.ONE_OFF:
        starts_at = now
    else:
        # Without --starts the allowance covers the period it is created in, so spend since the
        # last reset counts.
        starts_at = period_at(draft, now)[0]
    if the_cadence is Cadence.ONE_OFF and ends_at is None:
        raise UserInputError("A one-off allowance needs an end: add --ends DATE (e.g. --ends 2026-12-31).")
    if ends_at is not None and ends_at <= starts_at:
        raise UserInputError(
            f"--ends ({ends_at.isoformat()}) must be after the start ({starts_at.isoformat()}); give a later date."
        )
    return Allowance(**{**_fields(draft), "starts_at": starts_at})


def _fields(allowance: Allowance) -> dict[str, Any]:
    return {name: getattr(allowance, name) for name in Allowance.__dataclass_fields__}


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
@click.option("--json", "as_json", is_flag=True, help="Print the new allowance as JSON.")
@pass_app
@handle_errors
def add_command(app: AppContext, /, name: str, as_json: bool, **options: Any) -> None:
    """Add an allowance NAME."""
    from tokenwallet.ledger import allowances

    allowance = build_allowance(app, name=name, **options)
    stored = allowances.add(app.ledger(), allowance, at=app.clock())
    if as_json:
        emit_json(allowance_json(stored))
    else:
        click.echo(
            f"Added {stored.cadence.value} allowance {stored.name!r}: {format_amount(stored.amount, stored.unit)}"
            f" per period from {stored.starts_at.isoformat()} ({stored.timezone})."
        )


@allowance_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@pass_app
@handle_errors
def list_command(app: AppContext, as_json: bool) -> None:
    """List allowances."""
    from tokenwallet.ledger import allowances

    items = allowances.list_allowances(app.ledger())
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
                "-"
                if a.rollover is None
                else ("no cap" if a.rollover.cap is None else format_amount(a.rollover.cap, a.unit)),
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
    from tokenwallet.cli.status import status_json
    from tokenwallet.ledger import allowances
    from tokenwallet.ledger.status import allowance_status

    db = app.ledger()
    allowance = allowances.find(db, name)
    status = allowance_status(db, allowance, app.clock())
    payload: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "allowance": allowance_json(allowance),
        "status": status_json(status, allowance),
    }
    if as_json:
        emit_json(payload)
        return
    s = payload["status"]
    f = s["formatted"]
    click.echo(f"{allowance.name}: {format_amount(allowance.amount, allowance.unit)} {allowance.cadence.value}")
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
    from tokenwallet.ledger import allowances

    db = app.ledger()
    allowance = allowances.find(db, name)
    allowances.remove(db, allowance.id, at=app.clock())
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "removed": allowance_json(allowance)})
    else:
        click.echo(f"Removed allowance {allowance.name!r}.")


def _add_grant(
    app: AppContext, name: str, kind: GrantKind, amount: str, at: str | None, expires: str | None, note: str
) -> tuple[Allowance, Grant]:
    from tokenwallet.ledger import allowances

    db = app.ledger()
    allowance = allowances.find(db, name)
    value = parse_amount(amount, allowance.unit, allow_negative=kind is GrantKind.ADJUSTMENT)
    if value < 0 and expires:
        raise UserInputError("--expires applies to added value; a negative adjustment takes effect once, drop it.")
    granted_at = parse_when(at, allowance.timezone, what="--at date") if at else app.clock()
    expires_at = parse_when(expires, allowance.timezone, what="--expires date", end_of_day=True) if expires else None
    grant = Grant(
        id=allowances.new_id(),
        allowance_id=allowance.id,
        kind=kind,
        amount=value,
        granted_at=granted_at,
        expires_at=expires_at,
        note=note,
    )
    return allowance, allowances.add_grant(db, grant, at=app.clock())


def _grant_json(allowance: Allowance, grant: Grant) -> dict[str, Any]:
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "allowance": allowance.name,
        "grant": {
            "id": grant.id,
            "kind": grant.kind.value,
            "amount": grant.amount,
            "amount_formatted": format_amount(grant.amount, allowance.unit),
            "granted_at": grant.granted_at,
            "expires_at": grant.expires_at,
            "note": grant.note,
        },
    }


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
def topup_command(
    app: AppContext, name: str, amount: str, expires: str | None, at: str | None, note: str, as_json: bool
) -> None:
    """Add a top-up to allowance NAME."""
    allowance, grant = _add_grant(app, name, GrantKind.TOPUP, amount, at, expires, note)
    if as_json:
        emit_json(_grant_json(allowance, grant))
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
def adjust_command(
    app: AppContext, name: str, amount: str, expires: str | None, at: str | None, note: str, as_json: bool
) -> None:
    """Add a correction to allowance NAME; negative values withdraw from what is left."""
    allowance, grant = _add_grant(app, name, GrantKind.ADJUSTMENT, amount, at, expires, note)
    if as_json:
        emit_json(_grant_json(allowance, grant))
    else:
        click.echo(f"Recorded adjustment of {format_amount(grant.amount, allowance.unit)} to {allowance.name!r}.")


def _rollover_text(allowance: Allowance) -> str:
    if allowance.rollover is None:
        return "-"
    return "no cap" if allowance.rollover.cap is None else format_amount(allowance.rollover.cap, allowance.unit)


def _register_edit() -> None:
    # `allowance edit` lives in its own module (this one is at its size limit).
    from tokenwallet.cli.allowance_edit import edit_command

    allowance_group.add_command(edit_command)


_register_edit()
COMMANDS: list[click.Command] = [allowance_group]
