"""The body of ``tokenwallet alerts check``: evaluate every rule now.

Shared by the click command (:mod:`tokenwallet.cli.alerts`) and the quick front end
(:mod:`tokenwallet.cli.quick`); no click here.
"""

from __future__ import annotations

from tokenwallet.app import AppContext
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, echo, emit_json


def run_alerts_check(app: AppContext, *, notify: bool = True, as_json: bool = False) -> None:
    """Evaluate every rule, record what fires (and notify unless ``notify`` is false), and list it."""
    from tokenwallet.services.alert_rules import check_alerts

    events = check_alerts(app, notify=notify)
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
        echo(f"{e.severity}: {e.title} - {e.message}")
    if not events:
        echo("Nothing new.")
