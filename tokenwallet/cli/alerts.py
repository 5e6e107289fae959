"""`tokenwallet alerts`: list, add, remove and snooze rules; show the history; check now."""

from __future__ import annotations

from typing import Any

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import parse_amount, parse_when
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.errors import UserInputError


@click.group("alerts")
def alerts_group() -> None:
    """Personal alert rules and the alerts they fired."""


def _rule_json(rule: Any, snoozed: Any, names: dict[str, str]) -> dict[str, Any]:
    import dataclasses

    return {
        "id": rule.id,
        "kind": rule.kind.value,
        "allowance_id": rule.allowance_id,
        "allowance": names.get(rule.allowance_id or ""),
        "params": {k: v for k, v in dataclasses.asdict(rule.params).items() if v is not None},
        "enabled": rule.enabled,
        "notify_recovery": rule.notify_recovery,
        "snoozed_until": snoozed,
    }


@alerts_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@pass_app
@handle_errors
def list_command(app: AppContext, as_json: bool) -> None:
    """Show every alert rule."""
    from tokenwallet.alerts.rules import from_stored
    from tokenwallet.ledger import alerts as store
    from tokenwallet.ledger import allowances

    db = app.ledger()
    now = app.clock()
    names = {a.id: a.name for a in allowances.list_allowances(db)}
    snoozes = {k: v for k, v in store.snoozes(db).items() if v > now}
    rules = [from_stored(r) for r in store.list_rules(db)]
    if as_json:
        emit_json(
            {
                "schema_version": JSON_SCHEMA_VERSION,
                "rules": [_rule_json(r, snoozes.get(r.id), names) for r in rules],
            }
        )
        return
    if not rules:
        click.echo("No alert rules. Add the defaults with `tokenwallet alerts add --allowance NAME --defaults`.")
        return
    table(
        ["id", "allowance", "rule", "snoozed until (UTC)"],
        [
            [
                r.id,
                names.get(r.allowance_id or "", "-"),
                r.describe() + ("" if r.enabled else " (off)"),
                snoozes[r.id].strftime("%Y-%m-%d %H:%M") if r.id in snoozes else "",
            ]
            for r in rules
        ],
    )


@alerts_group.command("add")
@click.option("--allowance", "allowance_name", help="The allowance the rule watches (name or id).")
@click.option(
    "--kind",
    type=click.Choice(["threshold", "forecast", "expiry", "spike", "stale", "provider"]),
    default="threshold",
    show_default=True,
)
@click.option("--defaults", is_flag=True, help="Add the default thresholds: 50, 80, 95 and 100% used.")
@click.option("--percent", type=float, help="threshold: percent used; provider: percent of the limit or window.")
@click.option("--absolute", help="threshold: spend in the period (dollars or tokens).")
@click.option("--margin-days", type=float, default=0.0, help="forecast: run-out at least this early.")
@click.option("--days", type=float, default=7.0, help="expiry: days before a grant lapses.")
@click.option("--min-unspent", help="expiry: only when at least this much would lapse.")
@click.option("--factor", type=float, default=3.0, help="spike: today at least this times the median.")
@click.option("--trailing-days", type=int, default=14, help="spike: days for the median.")
@click.option("--hours", type=float, default=6.0, help="stale: hours without a successful sync.")
@click.option("--account", help="stale/provider: only this account.")
@click.option(
    "--signal",
    type=click.Choice(["litellm_soft_budget", "openrouter_limit", "codex_weekly"]),
    help="provider: which signal.",
)
@click.option("--notify-recovery", is_flag=True, help="Also tell when the condition clears.")
@click.option("--json", "as_json", is_flag=True, help="Print the added rules as JSON.")
@pass_app
@handle_errors
def add_command(app: AppContext, /, allowance_name: str | None, kind: str, defaults: bool, **opts: Any) -> None:
    """Add an alert rule (or the default thresholds) for an allowance or for accounts."""
    from tokenwallet.alerts import rules as r
    from tokenwallet.alerts.service import add_rule
    from tokenwallet.ledger import allowances

    db = app.ledger()
    allowance = allowances.find(db, allowance_name) if allowance_name else None
    unit = allowance.unit if allowance else Unit.USD
    params: r.RuleParams
    if kind in ("threshold", "forecast", "expiry", "spike") and allowance is None and not defaults:
        raise UserInputError(f"a {kind} rule watches an allowance; give --allowance NAME")
    if defaults:
        if allowance is None:
            raise UserInputError("--defaults needs --allowance NAME")
        new = r.default_rules(allowance.id)
    else:
        if kind == "threshold":
            absolute = parse_amount(opts["absolute"], unit, what="--absolute") if opts["absolute"] else None
            params = r.ThresholdParams(percent=opts["percent"], absolute=absolute)
        elif kind == "forecast":
            params = r.ForecastParams(margin_days=opts["margin_days"])
        elif kind == "expiry":
            least = parse_amount(opts["min_unspent"], unit, what="--min-unspent") if opts["min_unspent"] else 1
            params = r.ExpiryParams(days_before=opts["days"], min_unspent=least)
        elif kind == "spike":
            params = r.SpikeParams(factor=opts["factor"], trailing_days=opts["trailing_days"])
        elif kind == "stale":
            params = r.StaleParams(hours=opts["hours"], account_id=opts["account"])
        else:
            if not opts["signal"]:
                raise UserInputError("a provider rule needs --signal litellm_soft_budget|openrouter_limit|codex_weekly")
            params = r.ProviderParams(
                r.Signal(opts["signal"]), percent=opts["percent"] or 90.0, account_id=opts["account"]
            )
        r.validate(params)
        new = [r.Rule(r.new_rule_id(), params, allowance.id if allowance else None, True, opts["notify_recovery"])]
    now = app.clock()
    added = [add_rule(db, rule, now) for rule in new]
    if opts["as_json"]:
        names = {allowance.id: allowance.name} if allowance else {}
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "rules": [_rule_json(x, None, names) for x in added]})
        return
    for rule in added:
        click.echo(f"Added {rule.id}: {rule.describe()}")


@alerts_group.command("remove")
@click.argument("rule_id")
@pass_app
@handle_errors
def remove_command(app: AppContext, rule_id: str) -> None:
    """Remove a rule; the alerts it fired stay in the history."""
    from tokenwallet.alerts.service import remove_rule

    remove_rule(app.ledger(), rule_id, app.clock())
    click.echo(f"Removed {rule_id}.")


@alerts_group.command("snooze")
@click.argument("rule_id")
@click.argument("duration", default="1h")
@pass_app
@handle_errors
def snooze_command(app: AppContext, rule_id: str, duration: str) -> None:
    """Snooze a rule: DURATION is 1h, 1d, 12h, 'period' (until the next period) or 'off'."""
    from tokenwallet.alerts.service import snooze

    until = snooze(app.ledger(), rule_id, app.clock(), duration)
    click.echo(f"{rule_id} snoozed until {until:%Y-%m-%d %H:%M} UTC." if until else f"{rule_id} is no longer snoozed.")


@alerts_group.command("history")
@click.option("--since", help="ISO date/datetime (UTC when naive).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True, help="The newest N alerts.")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@pass_app
@handle_errors
def history_command(app: AppContext, since: str | None, limit: int, as_json: bool) -> None:
    """Show the alerts fired, oldest first."""
    from tokenwallet.ledger import alerts as store

    events = store.events(
        app.ledger(), since=parse_when(since, "UTC", what="--since date") if since else None, limit=limit
    )
    if as_json:
        emit_json(
            {
                "schema_version": JSON_SCHEMA_VERSION,
                "events": [
                    {
                        "id": e.id,
                        "rule_id": e.rule_id,
                        "allowance_id": e.allowance_id,
                        "period_key": e.period_key,
                        "fired_at": e.fired_at,
                        "kind": e.kind,
                        "severity": e.severity,
                        "title": e.title,
                        "message": e.message,
                        "delivered_at": e.delivered_at,
                        "held": e.extra.get("held"),
                    }
                    for e in events
                ],
            }
        )
        return
    if not events:
        click.echo("No alerts have fired.")
        return
    table(
        ["fired (UTC)", "severity", "title", "note"],
        [[e.fired_at.strftime("%Y-%m-%d %H:%M"), e.severity, e.title, e.extra.get("held") or ""] for e in events],
    )


@alerts_group.command("check")
@click.option("--no-notify", is_flag=True, help="Record alerts without showing notifications.")
@click.option("--json", "as_json", is_flag=True, help="Print the alerts fired as JSON.")
@pass_app
@handle_errors
def check_command(app: AppContext, no_notify: bool, as_json: bool) -> None:
    """Evaluate every rule now (the tray and the poller do this on their own)."""
    from tokenwallet.alerts.delivery import default_delivery
    from tokenwallet.alerts.service import run_alerts

    events = run_alerts(
        app.ledger(),
        app.clock(),
        app.settings,
        None if no_notify else default_delivery(app.settings.alert_hook or None),
    )
    if as_json:
        emit_json(
            {
                "schema_version": JSON_SCHEMA_VERSION,
                "events": [
                    {"id": e.id, "title": e.title, "severity": e.severity, "message": e.message} for e in events
                ],
            }
        )
        return
    for e in events:
        click.echo(f"{e.severity}: {e.title} - {e.message}")
    if not events:
        click.echo("Nothing new.")


COMMANDS: list[click.Command] = [alerts_group]
