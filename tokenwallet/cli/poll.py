"""`tokenwallet poll`: bring the ledger up to date from the provider APIs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json
from tokenwallet.cli.poll_output import outcome_json

if TYPE_CHECKING:
    from tokenwallet.sync.service import PollOutcome

TICK_SECONDS = 30


def _say(outcome: PollOutcome, as_json: bool) -> None:
    if as_json:
        return
    if outcome.ok:
        click.echo(f"{outcome.account_id}: ok, {outcome.records} records, {outcome.snapshots} snapshots")
    else:
        click.echo(f"{outcome.account_id}: failed ({outcome.error_kind}): {outcome.error}", err=True)


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
    from tokenwallet.services import polling

    polling.check_accounts(app, account_ids)  # a typo is a clear error before any request
    polling.run_alerts_after_each_poll(app)
    if once:
        outcomes = polling.poll_accounts(app, only=account_ids)
        if as_json:
            emit_json({"schema_version": JSON_SCHEMA_VERSION, "outcomes": [outcome_json(o) for o in outcomes]})
        for o in outcomes:
            _say(o, as_json)
        if any(not o.ok for o in outcomes):
            raise click.exceptions.Exit(1)
        return
    click.echo("Polling on the schedule; press Ctrl+C to stop.", err=True)
    try:
        while True:
            for o in polling.poll_due(app, account_ids):
                _say(o, False)
            time.sleep(TICK_SECONDS)
    except KeyboardInterrupt:
        pass
    finally:
        app.shutdown()


COMMANDS: list[click.Command] = [poll_command]
