"""`tokenwallet statusline`: the one-line budget meter for Claude Code's ``statusLine`` command.

The console command runs it without click (:mod:`tokenwallet.agents.fast`); this click command
serves ``--help`` and ``python -m tokenwallet.cli``-style invocations with the same code.
"""

from __future__ import annotations

import os
import sys

import click


@click.command("statusline")
@click.option("--allowance", help="Show this allowance (default: the primary one, as in the tray).")
@click.pass_context
def statusline_command(ctx: click.Context, allowance: str | None) -> None:
    """Print one line for Claude Code's status line from the JSON it sends on standard input.

    e.g. `work $56.83 left · 58% · resets 1 Dec · session $0.42 · 5h 34%`, coloured by how the
    allowance stands (NO_COLOR turns colours off).  Reads the meter snapshot that every ledger
    change rewrites; never fails: bad input or a missing ledger print a short line, exit 0.
    """
    from tokenwallet.agents.fast import statusline

    explicit = ctx.find_root().params.get("home") or os.environ.get("TOKENWALLET_HOME")
    home = str(ctx.obj.paths.cache_dir.parent) if explicit else None
    args = ["--allowance", allowance] if allowance else []
    now = ctx.obj.clock().timestamp()  # TOKENWALLET_NOW when set
    raise click.exceptions.Exit(statusline(home, args, sys.stdin, sys.stdout, os.environ, now))


COMMANDS: list[click.Command] = [statusline_command]
