"""``tokenwallet autostart on|off|status``: start the tray app with the login session."""

from __future__ import annotations

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json
from tokenwallet.platform.autostart import AutostartStatus, autostart_status, set_autostart

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def _show(status: AutostartStatus, as_json: bool) -> None:
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "autostart": status.as_json()})
        return
    state = "on" if status.enabled else "off"
    click.echo(f"autostart: {state} ({status.mechanism}: {status.location})")
    if status.enabled and status.command:
        click.echo(f"command: {' '.join(status.command)}")


def _switch(app: AppContext, enabled: bool, as_json: bool) -> None:
    status = set_autostart(enabled, home=app.paths.home)
    # Keep the settings file in step so the settings dialog shows the same state.
    if app.settings.start_at_login != enabled:
        app.save_settings(app.settings.replace(start_at_login=enabled))
    _show(status, as_json)


@click.group("autostart")
def autostart() -> None:
    """Start tokenwallet in the tray when you log in (XDG autostart, LaunchAgent or the Run key)."""


@autostart.command("on")
@_JSON
@pass_app
@handle_errors
def autostart_on(app: AppContext, as_json: bool) -> None:
    """Start tokenwallet in the tray at every login."""
    _switch(app, True, as_json)


@autostart.command("off")
@_JSON
@pass_app
@handle_errors
def autostart_off(app: AppContext, as_json: bool) -> None:
    """Stop starting tokenwallet at login."""
    _switch(app, False, as_json)


@autostart.command("status")
@_JSON
@handle_errors
def autostart_show(as_json: bool) -> None:
    """Say whether tokenwallet starts at login, and with which command."""
    _show(autostart_status(), as_json)


COMMANDS: list[click.Command] = [autostart]
