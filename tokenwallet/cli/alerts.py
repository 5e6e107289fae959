"""`tokenwallet alerts`: list, add, remove and snooze rules; show the history; check now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
import msgspec

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table

if TYPE_CHECKING:
    from tokenwallet.services.alert_rules import RuleView


@click.group("alerts")
def alerts_group() -> None:
    """Personal alert rules and the alerts they fired."""


def _rule_json(view: RuleView) -> dict[str, Any]:
    rule = view.rule
    return {
        "id": rule.id,
        "kind": rule.kind.value,
        "allowance_id": rule.allowance_id,
        "allowance": view.allowance_name,
        "params": {k: v for k, v in msgspec.structs.asdict(rule.params).items() if v is not None},
        "enabled": rule.enabled,
        "notify_recovery": rule.notify_recovery,
        "snoozed_until": view.snoozed_until,
    }


@alerts_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@pass_app
@handle_errors
def list_command(app: AppContext, as_json: bool) -> None:
    """Show every alert rule."""
    from tokenwallet.services.alert_rules import list_rules

    views = list_rules(app)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "rules": [_rule_json(v) for v in views]})
        return
    if not views:
        click.echo("No alert rules. Add the defaults with `tokenwallet alerts add --allowance NAME --defaults`.")
        return
    table(
        ["id", "allowance", "rule", "snoozed until (UTC)"],
        [
            [
                v.rule.id,
                v.allowance_name or "-",
                v.rule.describe() + ("" if v.rule.enabled else " (off)"),
                v.snoozed_until.strftime("%Y-%m-%d %H:%M") if v.snoozed_until else "",
            ]
            for v in views
        ],
    )


@alerts_group.command("add")
@click.option("--allowance", "allowance", help="The allowance the rule watches (name or id).")
@click.option(
    "--kind",
    type=click.Choice(["threshold", "forecast", "expiry", "spike", "stale", "provider", "off_policy"]),
    default="threshold",
    show_default=True,
)
@click.option(
    "--defaults",
    is_flag=True,
    help="Add the default rules: 80, 95 and 100% used, runs out before the reset, 3 days before value lapses.",
)
@click.option("--percent", type=float, help="threshold: percent used; provider: percent of the limit or window.")
@click.option(
    "--absolute", help="threshold: spend in the period (dollars or tokens); off_policy: only above this many dollars."
)
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
@names_options
def add_command(app: AppContext, /, as_json: bool, **options: Any) -> None:
    """Add an alert rule (or the default rules) for an allowance or for accounts."""
    from tokenwallet.services.alert_rules import RuleRequest, add_rules

    added = add_rules(app, RuleRequest(**options))
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "rules": [_rule_json(v) for v in added]})
        return
    for view in added:
        click.echo(f"Added {view.rule.id}: {view.rule.describe()}")


@alerts_group.command("remove")
@click.argument("rule_id")
@pass_app
@handle_errors
def remove_command(app: AppContext, rule_id: str) -> None:
    """Remove a rule; the alerts it fired stay in the history."""
    from tokenwallet.services.alert_rules import remove_rule

    remove_rule(app, rule_id)
    click.echo(f"Removed {rule_id}.")


@alerts_group.command("snooze")
@click.argument("rule_id")
@click.argument("duration", default="1h")
@pass_app
@handle_errors
def snooze_command(app: AppContext, rule_id: str, duration: str) -> None:
    """Snooze a rule: DURATION is 1h, 1d, 12h, 'period' (until the next period) or 'off'."""
    from tokenwallet.services.alert_rules import snooze_rule

    until = snooze_rule(app, rule_id, duration)
    click.echo(f"{rule_id} snoozed until {until:%Y-%m-%d %H:%M} UTC." if until else f"{rule_id} is no longer snoozed.")


@alerts_group.command("history")
@click.option("--since", help="ISO date/datetime (UTC when naive).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True, help="The newest N alerts.")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@pass_app
@handle_errors
@names_options
def history_command(app: AppContext, since: str | None, limit: int, as_json: bool) -> None:
    """Show the alerts fired, oldest first."""
    from tokenwallet.services.alert_rules import alert_history

    events = alert_history(app, since=since, limit=limit)
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
    from tokenwallet.cli.run_alerts_check import run_alerts_check

    run_alerts_check(app, notify=not no_notify, as_json=as_json)


COMMANDS: list[click.Command] = [alerts_group]
