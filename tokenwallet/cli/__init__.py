"""The ``tokenwallet`` command.

The bare command starts the tray app; every headless capability is a subcommand.  Each area's
commands live in their own module and are listed in :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from tokenwallet import __version__
from tokenwallet.app import AppContext

# Subcommand name -> module exporting it in ``COMMANDS``.  Modules are imported only when their
# command runs (or for --help), so the bare ``tokenwallet`` reaches the tray icon without loading
# the HTTP client, the price catalog or the log readers first.
COMMAND_MODULES: dict[str, str] = {
    "status": "tokenwallet.cli.status",
    "allowance": "tokenwallet.cli.allowance",
    "usage": "tokenwallet.cli.usage",
    "audit": "tokenwallet.cli.audit",
    "account": "tokenwallet.cli.account",
    "poll": "tokenwallet.cli.poll",
    "import": "tokenwallet.cli.imports",
    "alerts": "tokenwallet.cli.alerts",
    "report": "tokenwallet.cli.report",
    "autostart": "tokenwallet.cli.autostart",
    "budget": "tokenwallet.cli.budget",
    "statusline": "tokenwallet.cli.statusline",
    "guard": "tokenwallet.cli.guard",
    "agents": "tokenwallet.cli.agents",
    "mcp": "tokenwallet.cli.mcp",
    "policy": "tokenwallet.cli.policy",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that command is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMAND_MODULES:
            return command
        module = importlib.import_module(COMMAND_MODULES[cmd_name])
        for candidate in getattr(module, "COMMANDS", ()):
            if candidate.name == cmd_name:
                return candidate  # type: ignore[no-any-return]
        return None


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=str),
    envvar="TOKENWALLET_HOME",
    help="Keep every file under this folder (also $TOKENWALLET_HOME).",
)
@click.option("--demo", is_flag=True, help="Start the tray app on built-in demo data in a throwaway home.")
@click.option("--background", is_flag=True, help="Start in the tray without opening the dashboard.")
@click.option("-v", "--verbose", count=True, help="More log output on standard error.")
@click.version_option(__version__, "--version", prog_name="tokenwallet")
@click.pass_context
def cli(ctx: click.Context, home: str | None, demo: bool, background: bool, verbose: int) -> None:
    """tokenwallet: your personal AI-compute allowance, in the tray and on the command line.

    Run without a command to start the tray app.
    """
    from tokenwallet.logging_setup import configure_logging, redact_uncaught_exceptions

    redact_uncaught_exceptions()
    ctx.obj = AppContext.create(home)
    configure_logging(logging.WARNING - 10 * verbose, ctx.obj.paths.log_file)
    from tokenwallet.services.meter_snapshot import keep_meter_current

    keep_meter_current(ctx.obj)  # every change a command makes reaches the status line and the guard
    ctx.call_on_close(ctx.obj.ledger_changed)
    if ctx.invoked_subcommand is None:
        from tokenwallet.ui import run_gui  # Qt is only imported when the GUI is wanted

        sys.exit(run_gui(ctx.obj, demo=demo, background=background))


def main() -> None:
    """Console entry point."""
    cli(prog_name="tokenwallet")
