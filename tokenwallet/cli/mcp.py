"""`tokenwallet mcp`: the Model Context Protocol server (stdio) for agents that ask before they spend."""

from __future__ import annotations

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import pass_app


@click.command("mcp")
@pass_app
def mcp_command(app: AppContext) -> None:
    """Serve MCP over standard input and output (read-only tools).

    budget_status, estimate_cost, can_afford and spend_summary.  Register it with an agent, e.g.
    `claude mcp add tokenwallet -- tokenwallet mcp`.  Needs the optional SDK:
    pip install 'tokenwallet[mcp]'.
    """
    try:
        import mcp  # noqa: F401
    except ImportError:
        click.echo(
            "error: the MCP server needs the optional Model Context Protocol SDK; "
            "install it with: pip install 'tokenwallet[mcp]'",
            err=True,
        )
        raise click.exceptions.Exit(1) from None
    from tokenwallet.agents.mcp_server import serve

    serve(app)


COMMANDS: list[click.Command] = [mcp_command]
