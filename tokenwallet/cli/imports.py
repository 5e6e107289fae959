"""`tokenwallet import`: read Claude Code, Codex CLI or Gemini CLI logs into the ledger."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.run_import import KINDS, import_logs, label, show_import


@click.command("import")
@click.argument("agent", type=click.Choice(sorted(KINDS)))
@click.option(
    "--path",
    "path",
    type=click.Path(path_type=Path),
    help="Log folder to read (default: the agent's folders found on this machine).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
@handle_errors
def import_command(app: AppContext, agent: str, path: Path | None, as_json: bool) -> None:
    """Import what is new in an agent's local logs (incremental; safe to repeat)."""
    with click.progressbar(length=1, label=label(agent), file=sys.stderr) as bar:
        shown = 0

        def progress(done: int, size: int) -> None:
            nonlocal shown
            bar.length = max(size, 1)
            bar.update(done - shown)
            shown = done

        total, cost = import_logs(app, agent, path, progress)
    show_import(agent, total, cost, as_json=as_json)


COMMANDS: list[click.Command] = [import_command]
