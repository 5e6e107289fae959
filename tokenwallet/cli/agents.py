"""`tokenwallet agents`: wire the status line and the guard into Claude Code, Codex CLI and Gemini CLI."""

from __future__ import annotations

from pathlib import Path

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json

AGENT_CHOICE = click.Choice(["claude-code", "codex", "gemini"])


@click.group("agents")
def agents_group() -> None:
    """Budget-aware coding agents: install the status line and the guard hook."""


@agents_group.command("install")
@click.argument("agent", type=AGENT_CHOICE)
@click.option("--statusline", is_flag=True, help="The status line (Claude Code only).")
@click.option("--guard", is_flag=True, help="The guard hook on session start, prompts and tool calls.")
@click.option("--allowance", help="Guard this allowance (default: the primary one).")
@click.option("--reserve", help="Block below this amount left (default: only when exhausted).")
@click.option("--mode", type=click.Choice(["block", "warn"]), default="block", show_default=True)
@click.option("--settings", "settings_file", type=click.Path(dir_okay=False, path_type=Path), help="Another file.")
@click.option("--force", is_flag=True, help="Replace a status line that is not tokenwallet's.")
@click.option("--dry-run", is_flag=True, help="Show the file as it would be; change nothing.")
@click.pass_context
@handle_errors
@names_options
def install_command(
    ctx: click.Context,
    agent: str,
    statusline: bool,
    guard: bool,
    allowance: str | None,
    reserve: str | None,
    mode: str,
    settings_file: Path | None,
    force: bool,
    dry_run: bool,
) -> None:
    """Add the status line and/or the guard to AGENT's settings (both when neither is named).

    Every other setting is kept, a backup of the file is written next to it, a file that cannot
    be parsed is left alone, and installing twice changes nothing.
    """
    from tokenwallet.agents.wiring import GuardOptions, install_agent

    if not statusline and not guard:
        statusline, guard = agent == "claude-code", True
    app: AppContext = ctx.find_root().obj
    change = install_agent(
        agent,
        home=app.paths.home,
        statusline=statusline,
        guard=guard,
        options=GuardOptions(allowance=allowance, reserve=reserve, mode=mode),
        settings_file=settings_file,
        force=force,
        dry_run=dry_run,
    )
    _report(change, dry_run)
    if guard and change.changed and not dry_run:
        click.echo(_after_install(agent))


def _after_install(agent: str) -> str:
    if agent == "codex":
        return "Codex CLI runs hooks when its hooks feature is on (the default in recent versions); see /hooks."
    if agent == "gemini":
        return "Gemini CLI runs hooks when its hooks system is enabled (/settings, Advanced); see /hooks panel."
    return "Claude Code reads the change in new sessions (or after /hooks)."


def _report(change: object, dry_run: bool) -> None:
    from tokenwallet.agents.install import Change

    assert isinstance(change, Change)
    if dry_run:
        click.echo(change.text, nl=False)
        verdict = "would change" if change.changed else "would leave unchanged"
        click.echo(f"({verdict}: {change.path})", err=True)
        return
    if not change.changed:
        click.echo(f"{change.path}: already as wanted, nothing changed.")
        return
    for action in change.actions:
        click.echo(f"{change.path}: {action}")
    if change.backup is not None:
        click.echo(f"Backup of the previous file: {change.backup}")


@agents_group.command("uninstall")
@click.argument("agent", type=AGENT_CHOICE)
@click.option("--statusline", is_flag=True, help="Only the status line.")
@click.option("--guard", is_flag=True, help="Only the guard hook.")
@click.option("--settings", "settings_file", type=click.Path(dir_okay=False, path_type=Path), help="Another file.")
@click.option("--dry-run", is_flag=True, help="Show the file as it would be; change nothing.")
@handle_errors
def uninstall_command(agent: str, statusline: bool, guard: bool, settings_file: Path | None, dry_run: bool) -> None:
    """Take tokenwallet's entries out of AGENT's settings (both when neither is named)."""
    from tokenwallet.agents.wiring import uninstall_agent

    if not statusline and not guard:
        statusline = guard = True
    change = uninstall_agent(agent, statusline=statusline, guard=guard, settings_file=settings_file, dry_run=dry_run)
    if not change.changed and not dry_run:
        click.echo(f"{change.path}: no tokenwallet entries, nothing changed.")
        return
    _report(change, dry_run)


@agents_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON answer.")
@pass_app
@handle_errors
def status_command(app: AppContext, as_json: bool) -> None:
    """What is installed in each agent's settings, and how fresh the meter snapshot is."""
    from tokenwallet.agents import install as inst
    from tokenwallet.agents.wiring import agent_states
    from tokenwallet.services.agent_files import read_meter

    states = agent_states()
    meter = read_meter(str(app.paths.cache_dir))
    if as_json:
        emit_json(
            {
                "schema_version": JSON_SCHEMA_VERSION,
                "agents": [
                    {
                        "agent": s.agent,
                        "settings": str(s.path),
                        "exists": s.exists,
                        "problem": s.problem,
                        "statusline": s.statusline,
                        "statusline_is_tokenwallet": s.statusline_ours,
                        "guard_events": list(s.guard_events),
                        "guard_commands": list(s.guard_commands),
                    }
                    for s in states
                ],
                "meter": None
                if meter is None
                else {"generated_at": meter.get("generated_at_iso"), "allowances": len(meter.get("allowances", []))},
            }
        )
        return
    for s in states:
        click.echo(f"{inst.LABELS[s.agent]}: {s.path}{'' if s.exists else ' (no file)'}")
        if s.problem:
            click.echo(f"  cannot tell: {s.problem}")
            continue
        if s.agent == "claude-code":
            line = "tokenwallet" if s.statusline_ours else (f"another one: {s.statusline}" if s.statusline else "none")
            click.echo(f"  status line: {line}")
        click.echo(f"  guard: {', '.join(s.guard_events) if s.guard_events else 'not installed'}")
        for command in s.guard_commands:
            click.echo(f"    {command}")
    where = app.paths.cache_dir / "meter.json"
    if meter is None:
        click.echo(f"Meter snapshot: none yet ({where}); any change to the ledger writes it.")
    else:
        click.echo(f"Meter snapshot: {where}, written {meter.get('generated_at_iso')}")


@agents_group.command("meter")
@click.option("--quiet", is_flag=True, help="Print nothing (what the status line's background refresh uses).")
@click.option("--if-ledger-exists", is_flag=True, help="Do nothing when there is no ledger yet.")
@pass_app
@handle_errors
def meter_command(app: AppContext, quiet: bool, if_ledger_exists: bool) -> None:
    """Rewrite the meter snapshot the status line and the guard read, and print it as JSON."""
    from tokenwallet.services.meter_snapshot import refresh_meter

    if if_ledger_exists and not app.paths.ledger_file.exists():
        return
    meter = refresh_meter(app)
    if not quiet:
        emit_json(meter)


COMMANDS: list[click.Command] = [agents_group]
