"""`tokenwallet poll`: bring the ledger up to date from the provider APIs."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import click
from sqlite_utils import Database

from tokenwallet.app import AppContext
from tokenwallet.cli.account import _outcome_json
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json

TICK_SECONDS = 30


def _say(outcome: object, as_json: bool) -> None:
    if as_json:
        return
    o = outcome  # a PollOutcome
    if getattr(o, "ok", False):
        click.echo(f"{o.account_id}: ok, {o.records} records, {o.snapshots} snapshots")  # type: ignore[attr-defined]
    else:
        click.echo(f"{o.account_id}: failed ({o.error_kind}): {o.error}", err=True)  # type: ignore[attr-defined]


def _alerts_after_poll(app: AppContext) -> Callable[[Database, datetime], None]:
    """Evaluate the alert rules after each successful poll, delivering as the settings say."""
    from tokenwallet.alerts.delivery import default_delivery
    from tokenwallet.alerts.service import run_alerts

    deliver = default_delivery(app.settings.alert_hook or None)

    def after_poll(db: Database, now: datetime) -> None:
        run_alerts(db, now, app.settings, deliver)

    return after_poll


@click.command("poll")
@click.option("--once", is_flag=True, help="Poll once and exit (default: keep polling on the schedule).")
@click.option("--account", "account_ids", multiple=True, help="Only this account (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as JSON (with --once).")
@pass_app
@handle_errors
def poll_command(app: AppContext, once: bool, account_ids: tuple[str, ...], as_json: bool) -> None:
    """Poll provider accounts now (--once), or keep polling on the schedule until interrupted.

    With --once every enabled account (or each --account) is polled immediately; the exit status
    is 1 when any poll failed.  Without it, due accounts are polled every tick; a laptop that
    slept polls each overdue account once when it wakes.
    """
    from tokenwallet.ledger import accounts as accounts_db

    db = app.ledger()
    for account_id in account_ids:
        accounts_db.get(db, account_id)  # a typo is a clear error before any request
    app.after_poll.append(_alerts_after_poll(app))
    service = app.poll_service()
    if once:
        ids = list(account_ids) or [
            a.id for a in accounts_db.list_accounts(db, include_disabled=False) if a.kind.value != "manual"
        ]
        outcomes = [service.poll(a) for a in ids]
        if as_json:
            emit_json({"schema_version": JSON_SCHEMA_VERSION, "outcomes": [_outcome_json(o) for o in outcomes]})
        for o in outcomes:
            _say(o, as_json)
        if any(not o.ok for o in outcomes):
            raise click.exceptions.Exit(1)
        return
    click.echo("Polling on the schedule; press Ctrl+C to stop.", err=True)
    try:
        while True:
            if account_ids:
                from tokenwallet.ledger import sync_state
                from tokenwallet.sync import schedule

                states = [sync_state.get(db, a) for a in account_ids]
                outcomes = [service.poll(a) for a in schedule.due(states, app.clock())]
            else:
                outcomes = service.poll_due()
            for o in outcomes:
                _say(o, False)
            time.sleep(TICK_SECONDS)
    except KeyboardInterrupt:
        pass
    finally:
        app.shutdown()


COMMANDS: list[click.Command] = [poll_command]
