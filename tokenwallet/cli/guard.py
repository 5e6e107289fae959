"""`tokenwallet guard`: the budget hook for Claude Code, Codex CLI and Gemini CLI, and its overrides.

The hook itself runs without click (:mod:`tokenwallet.agents.fast`); this group serves ``--help``
and ``guard override``, which lets one agent session through although the budget says no.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import timedelta

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json
from tokenwallet.domain.errors import UserInputError


@click.group("guard", invoke_without_command=True)
@click.option("--allowance", help="The allowance to guard (default: the primary one).")
@click.option("--reserve", default="0", show_default=True, help="Keep this much back: block below it.")
@click.option("--mode", default="block", show_default=True, help="block: refuse when exhausted; warn: only tell.")
@click.option("--warn-at", default="80", show_default=True, help="Tell the model once this percent is used.")
@click.option("--agent", default="", help="claude-code, codex or gemini (for the audit log).")
@click.pass_context
def guard_group(ctx: click.Context, allowance: str | None, reserve: str, mode: str, warn_at: str, agent: str) -> None:
    """Hook handler: reads the hook JSON on standard input and answers the agent.

    SessionStart, UserPromptSubmit and PreToolUse (Claude Code, Codex CLI) or BeforeAgent and
    BeforeTool (Gemini CLI).  With the allowance exhausted or below --reserve in block mode the
    prompt or tool call is refused (exit 2, the reason on standard error: what is left, when it
    resets, how to top up or let the session through), and the block is audited.  Near the
    thresholds the model is told what is left instead.  Otherwise: silent, exit 0.
    """
    if ctx.invoked_subcommand is not None:
        return
    from tokenwallet.agents.fast import guard

    args = ["--reserve", reserve, "--mode", mode, "--warn-at", warn_at]
    if allowance:
        args += ["--allowance", allowance]
    if agent:
        args += ["--agent", agent]
    app: AppContext = ctx.obj
    home = str(app.paths.cache_dir.parent) if _explicit_home(ctx) else None
    raise click.exceptions.Exit(
        guard(home, args, sys.stdin, sys.stdout, sys.stderr, os.environ, app.clock().timestamp())
    )


def _explicit_home(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("home") or os.environ.get("TOKENWALLET_HOME"))


def parse_duration(text: str) -> timedelta:
    """'30m', '12h', '2d' (a bare number is hours)."""
    found = re.fullmatch(r"\s*(\d{1,6})\s*([mhd]?)\s*", text.lower())
    if not found:
        raise UserInputError(f"{text!r} is not a duration; give e.g. 30m, 12h or 2d.", field="duration")
    value, unit = int(found.group(1)), found.group(2) or "h"
    return {"m": timedelta(minutes=value), "h": timedelta(hours=value), "d": timedelta(days=value)}[unit]


@guard_group.command("override")
@click.option("--session", help="The agent session to let through (the id the block message names).")
@click.option("--for", "duration", default="12h", show_default=True, help="How long: 30m, 12h, 2d (at most 7d).")
@click.option("--reason", default="", help="A note for the audit log.")
@click.option("--end", is_flag=True, help="End the override of --session now.")
@click.option("--list", "list_them", is_flag=True, help="List the overrides in force.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
@handle_errors
@names_options
def override_command(
    app: AppContext, session: str | None, duration: str, reason: str, end: bool, list_them: bool, as_json: bool
) -> None:
    """Let one agent session through the guard although the budget says no (audited)."""
    from tokenwallet.services import agent_guard

    if list_them:
        found = agent_guard.list_overrides(app)
        if as_json:
            emit_json(
                {
                    "schema_version": JSON_SCHEMA_VERSION,
                    "overrides": [
                        {"session": o.session_id, "at": o.at, "until": o.until, "via": o.via, "reason": o.reason}
                        for o in found
                    ],
                }
            )
        elif not found:
            click.echo("No overrides in force.")
        for o in found if not as_json else ():
            click.echo(f"{o.session_id}  until {o.until:%Y-%m-%d %H:%M} UTC  ({o.via}) {o.reason}".rstrip())
        return
    if not session:
        raise UserInputError("Name the session with --session (the block message gives the command).")
    if end:
        if not agent_guard.clear_override(app, session):
            raise UserInputError(f"No override is in force for the session {session}.", field="session")
        click.echo(f"The guard applies to the session {session} again.")
        return
    done = agent_guard.override_session(app, session, duration=parse_duration(duration), reason=reason)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "session": done.session_id, "until": done.until})
    else:
        click.echo(f"The guard lets the session {done.session_id} through until {done.until:%Y-%m-%d %H:%M} UTC.")


COMMANDS: list[click.Command] = [guard_group]
