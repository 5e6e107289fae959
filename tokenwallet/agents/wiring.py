"""Installing tokenwallet into an agent, as ``tokenwallet agents install`` and the settings window do it.

Both front-ends come here, so the entries the window's switches write are the ones the command
line writes: this installation's ``tokenwallet`` program (absolute), ``--home`` when one is in use,
then ``statusline`` or ``guard`` with the guard's options.  The merging itself (other keys kept, a
backup, a file that cannot be parsed left alone) is :mod:`tokenwallet.agents.install`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokenwallet.agents import install as inst
from tokenwallet.domain.errors import UserInputError

GUARD_MODES = ("block", "warn")


@dataclass(frozen=True, slots=True)
class GuardOptions:
    """How the guard behaves: the allowance it watches (None: the primary one), the reserve, the mode."""

    allowance: str | None = None
    reserve: str | None = None
    mode: str = "block"


def guard_command(agent: str, home: Path | str | None, options: GuardOptions) -> str:
    """The guard's command line for ``agent``; :class:`UserInputError` for options the guard would refuse."""
    from tokenwallet.agents.guard import parse_options, parse_reserve

    if options.mode not in GUARD_MODES:
        raise UserInputError(f"The guard either blocks or warns, not {options.mode!r}.", field="mode")
    if options.reserve and parse_reserve(options.reserve, 1_000_000) is None:
        raise UserInputError(
            f"The reserve is an amount to keep back, such as 5 or 2.50, not {options.reserve!r}.", field="reserve"
        )
    args = ["guard"]
    if options.allowance:
        args += ["--allowance", options.allowance]
    if options.reserve:
        args += ["--reserve", options.reserve]
    args += ["--mode", options.mode, "--agent", agent]
    try:
        parse_options(args[1:])
    except ValueError as exc:  # checked above in the window's words; anything else is the guard's own
        raise UserInputError(str(exc)) from None
    return inst.join([*inst.tokenwallet_argv(str(home) if home else None), *args])


def statusline_command(home: Path | str | None) -> str:
    """The status line's command line."""
    return inst.join([*inst.tokenwallet_argv(str(home) if home else None), "statusline"])


def install_agent(
    agent: str,
    *,
    home: Path | str | None,
    statusline: bool,
    guard: bool,
    options: GuardOptions = GuardOptions(),
    settings_file: Path | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> inst.Change:
    """Merge the status line and/or the guard into ``agent``'s settings file (its own, or ``settings_file``)."""
    if agent not in inst.AGENTS:
        raise UserInputError(f"Unknown agent {agent!r}; use one of: {', '.join(inst.AGENTS)}.", field="agent")
    path = settings_file or inst.settings_path(agent)
    return inst.install(
        agent,
        path,
        statusline=statusline_command(home) if statusline else None,
        guard=guard_command(agent, home, options) if guard else None,
        force=force,
        dry_run=dry_run,
    )


def uninstall_agent(
    agent: str, *, statusline: bool, guard: bool, settings_file: Path | None = None, dry_run: bool = False
) -> inst.Change:
    """Take tokenwallet's status line and/or guard out of ``agent``'s settings file."""
    path = settings_file or inst.settings_path(agent)
    return inst.uninstall(agent, path, statusline=statusline, guard=guard, dry_run=dry_run)


def agent_states() -> list[inst.AgentState]:
    """What is installed in each agent's settings file (``agents status``); a file that cannot be parsed says so."""
    return [inst.state(agent, inst.settings_path(agent)) for agent in inst.AGENTS]
