"""The click front end: the ``tokenwallet`` group and its subcommands.

The console entry (:mod:`tokenwallet.entry`) starts the tray app itself when the command line
holds only start options, gives ``status``, ``budget check`` and ``alerts check`` to
:mod:`tokenwallet.cli.quick` when that understands the whole command line, and hands everything
else to :func:`main`.  Each area's commands live in their own module and are listed in
:data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import functools
import importlib
import sys

import click

from tokenwallet import __version__
from tokenwallet.cli.output import echo
from tokenwallet.cli.session import close_app, open_app
from tokenwallet.start_options import HOME_ENV, OPTIONS

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


def _tray_start_help() -> str:
    width = max(len(name) for name, _ in OPTIONS)
    lines = "\n".join(f"  {name.ljust(width)}  {text}" for name, text in OPTIONS)
    return f"Run without a command to start the tray app, with these options:\n\n\b\n{lines}"


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    epilog=_tray_start_help(),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=str),
    envvar=HOME_ENV,
    help=f"Keep every file under this folder (also ${HOME_ENV}).",
)
@click.option("-v", "--verbose", count=True, help="More log output on standard error.")
@click.version_option(__version__, "--version", prog_name="tokenwallet")
@click.pass_context
def cli(ctx: click.Context, home: str | None, verbose: int) -> None:
    """tokenwallet: your personal AI-compute allowance, in the tray and on the command line."""
    from tokenwallet.domain.errors import UserInputError

    try:
        ctx.obj = open_app(home, verbose)
    except UserInputError as exc:
        echo(f"error: {exc}", err=True)
        sys.exit(2)
    # When the command ends: the meter snapshot is rewritten if it changed the ledger, then the
    # ledger and the HTTP client's sockets are closed.
    ctx.call_on_close(functools.partial(close_app, ctx.obj))
    if ctx.invoked_subcommand is None:
        # The tray app starts from the console entry (tokenwallet.entry), which reads the start
        # options; a command line that reaches this point had none of a tray start.
        click.echo(ctx.get_help())


def main(argv: list[str] | None = None) -> None:
    """Run one command-line command (``argv``, default the process arguments) and exit."""
    cli(args=argv, prog_name="tokenwallet")
