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

COMMAND_MODULES: tuple[str, ...] = (
    "tokenwallet.cli.status",
    "tokenwallet.cli.allowance",
    "tokenwallet.cli.usage",
    "tokenwallet.cli.audit",
    "tokenwallet.cli.account",
    "tokenwallet.cli.poll",
    "tokenwallet.cli.imports",
    "tokenwallet.cli.alerts",
    "tokenwallet.cli.report",
    "tokenwallet.cli.autostart",
    "tokenwallet.cli.budget",
)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
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
    from tokenwallet.logging_setup import configure_stderr_logging

    configure_stderr_logging(logging.WARNING - 10 * verbose)
    ctx.obj = AppContext.create(home)
    if ctx.invoked_subcommand is None:
        from tokenwallet.ui import run_gui  # Qt is only imported when the GUI is wanted

        sys.exit(run_gui(ctx.obj, demo=demo, background=background))


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)


_register()


def main() -> None:
    """Console entry point."""
    cli(prog_name="tokenwallet")
