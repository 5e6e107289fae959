"""Add tokenwallet's status line and guard hooks to an agent's settings, and take them out again.

* Claude Code: ``$CLAUDE_CONFIG_DIR/settings.json`` or ``~/.claude/settings.json``; ``statusLine``
  and ``hooks`` for SessionStart, UserPromptSubmit and PreToolUse (matcher ``*``).
* Codex CLI: ``$CODEX_HOME/config.toml`` or ``~/.codex/config.toml`` (its ``hooks.json`` when that
  file exists); ``[[hooks.SessionStart]]``, ``UserPromptSubmit`` and ``PreToolUse``.
* Gemini CLI: ``~/.gemini/settings.json``; ``hooks`` for SessionStart, BeforeAgent and BeforeTool
  (matcher ``*``).

Every other key is kept.  Entries are recognised as ours by their command (the ``tokenwallet``
program followed by ``guard`` or ``statusline``); installing again replaces them in place, so
installing twice changes nothing.  A status line that is not ours is left alone unless asked.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tokenwallet.agents.settings_files import dump_json, load_json, load_toml, write_text
from tokenwallet.domain.errors import ConfigError, UserInputError

AGENTS = ("claude-code", "codex", "gemini")
LABELS = {"claude-code": "Claude Code", "codex": "Codex CLI", "gemini": "Gemini CLI"}
GUARD_EVENTS = {
    "claude-code": ("SessionStart", "UserPromptSubmit", "PreToolUse"),
    "codex": ("SessionStart", "UserPromptSubmit", "PreToolUse"),
    "gemini": ("SessionStart", "BeforeAgent", "BeforeTool"),
}
TOOL_EVENTS = ("PreToolUse", "BeforeTool")
GEMINI_HOOK_NAME = "tokenwallet-guard"


@dataclass
class Change:
    """What an install or uninstall did (or, with ``dry_run``, would do)."""

    agent: str
    path: Path
    actions: list[str] = field(default_factory=list)
    changed: bool = False
    backup: Path | None = None
    text: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AgentState:
    """What ``agents status`` reports for one agent."""

    agent: str
    path: Path
    exists: bool
    problem: str = ""
    statusline: str | None = None
    statusline_ours: bool = False
    guard_events: tuple[str, ...] = ()
    guard_commands: tuple[str, ...] = ()


def _first(value: str) -> str:
    return value.split(",")[0].strip()


def settings_path(agent: str, environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """The user settings file of ``agent`` (environment variables as the agents read them)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    if agent == "claude-code":
        base = _first(env.get("CLAUDE_CONFIG_DIR", ""))
        return Path(base).expanduser() / "settings.json" if base else home / ".claude" / "settings.json"
    if agent == "codex":
        base = _first(env.get("CODEX_HOME", ""))
        folder = Path(base).expanduser() if base else home / ".codex"
        hooks_json = folder / "hooks.json"
        return hooks_json if hooks_json.is_file() else folder / "config.toml"
    if agent == "gemini":
        return home / ".gemini" / "settings.json"
    raise UserInputError(f"Unknown agent {agent!r}; use one of: {', '.join(AGENTS)}.", field="agent")


def tokenwallet_argv(home: str | None = None) -> list[str]:
    """How the agent should start tokenwallet: this installation's program, absolute."""
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name in ("tokenwallet", "tokenwallet.exe") and Path(argv0).is_file():
        prefix = [str(Path(argv0).absolute())]
    elif found := shutil.which("tokenwallet"):
        prefix = [found]
    else:
        prefix = [sys.executable, "-m", "tokenwallet"]
    return prefix + (["--home", home] if home else [])


def join(argv: list[str]) -> str:
    """A command line for the agent's shell."""
    if sys.platform == "win32":
        import subprocess

        return subprocess.list2cmdline(argv)
    return shlex.join(argv)


def is_ours(command: Any, word: str) -> bool:
    """Whether ``command`` runs ``tokenwallet ... word``."""
    if not isinstance(command, str):
        return False
    try:
        tokens = shlex.split(command, posix=sys.platform != "win32")
    except ValueError:
        tokens = command.split()
    for index, token in enumerate(tokens):
        name = Path(token.strip("\"'")).name
        program = name in ("tokenwallet", "tokenwallet.exe") or (
            token == "-m" and index + 1 < len(tokens) and tokens[index + 1] == "tokenwallet"
        )
        if program:
            return word in tokens[index + 1 :]
    return False


# --- the hooks table, in the shape all three agents share: event -> [ {matcher?, hooks: [handler]} ]


def _groups(hooks: Any, event: str, where: Path) -> list[Any]:
    groups = hooks.get(event)
    if groups is None:
        return []
    if not isinstance(groups, list):
        raise ConfigError(f"{where}: hooks.{event} is not a list; nothing was changed.")
    for group in groups:
        if not isinstance(group, dict) or not isinstance(group.get("hooks", []), list):
            raise ConfigError(f"{where}: an entry of hooks.{event} has an unexpected shape; nothing was changed.")
    return groups


def _handler(agent: str, command: str, toml: bool) -> dict[str, Any]:
    handler: dict[str, Any] = {"type": "command", "command": command}
    if agent == "claude-code":
        handler["timeout"] = 10  # seconds
    elif agent == "gemini":
        handler = {"name": GEMINI_HOOK_NAME, **handler, "timeout": 10_000}  # milliseconds
    if toml:
        import tomlkit

        table = tomlkit.table()
        table.update(handler)
        return table
    return handler


def _new_group(agent: str, event: str, handler: dict[str, Any], toml: bool) -> Any:
    if toml:
        import tomlkit

        group = tomlkit.table()
        handlers = tomlkit.aot()
        handlers.append(handler)
        group["hooks"] = handlers
        return group
    plain: dict[str, Any] = {}
    if event in TOOL_EVENTS and agent != "codex":
        plain["matcher"] = "*"
    plain["hooks"] = [handler]
    return plain


def set_guard(hooks: Any, agent: str, command: str, where: Path, *, toml: bool = False) -> list[str]:
    """Make every guard event of ``agent`` run ``command`` exactly once; returns what changed."""
    actions: list[str] = []
    for event in GUARD_EVENTS[agent]:
        groups = _groups(hooks, event, where)
        found = False
        for group in groups:
            for handler in group.get("hooks", []):
                if isinstance(handler, dict) and is_ours(handler.get("command"), "guard"):
                    if found:
                        continue
                    found = True
                    if handler.get("command") != command:
                        handler["command"] = command
                        actions.append(f"updated the guard on {event}")
        _drop_duplicates(groups)
        if not found:
            group = _new_group(agent, event, _handler(agent, command, toml), toml)
            if event not in hooks:
                if toml:
                    import tomlkit

                    hooks[event] = tomlkit.aot()
                else:
                    hooks[event] = []
            hooks[event].append(group)
            actions.append(f"added the guard on {event}")
    return actions


def _drop_duplicates(groups: list[Any]) -> None:
    """Keep only the first of our guard handlers in an event's groups."""
    seen = False
    for group in groups:
        handlers = group.get("hooks", [])
        for handler in list(handlers):
            if isinstance(handler, dict) and is_ours(handler.get("command"), "guard"):
                if seen:
                    handlers.remove(handler)
                seen = True


def remove_guard(hooks: Any, agent: str, where: Path) -> list[str]:
    """Take our guard out of every event (other hooks stay; emptied groups and events go)."""
    actions: list[str] = []
    for event in list(hooks.keys()):
        groups = hooks[event]
        if not _is_event_list(groups):
            continue  # Gemini CLI keeps other things here too: "enabled", "disabled": [names]
        removed = False
        for group in list(groups):
            handlers = group.get("hooks", [])
            for handler in list(handlers):
                if isinstance(handler, dict) and is_ours(handler.get("command"), "guard"):
                    handlers.remove(handler)
                    removed = True
            if not handlers:
                groups.remove(group)
        if removed:
            actions.append(f"removed the guard from {event}")
        if not groups:
            del hooks[event]
    return actions


def _is_event_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(group, dict) and isinstance(group.get("hooks", []), list) for group in value
    )


def guard_events(hooks: Any) -> tuple[list[str], list[str]]:
    """The events that run our guard, and the commands."""
    events: list[str] = []
    commands: list[str] = []
    if not isinstance(hooks, dict):
        return events, commands
    for event, groups in hooks.items():
        for group in groups if _is_event_list(groups) else ():
            for handler in group.get("hooks", []) if isinstance(group, dict) else ():
                if isinstance(handler, dict) and is_ours(handler.get("command"), "guard"):
                    events.append(str(event))
                    commands.append(str(handler.get("command")))
    return events, commands


# --- the agents


def _hint(agent: str, statusline: str | None, guard: str | None) -> str:
    snippet: dict[str, Any] = {}
    if statusline:
        snippet["statusLine"] = {"type": "command", "command": statusline, "padding": 0}
    if guard:
        hooks: dict[str, Any] = {}
        set_guard(hooks, agent, guard, Path("(snippet)"))
        snippet["hooks"] = hooks
    return "Add these entries by hand:\n" + dump_json(snippet)


def install(
    agent: str,
    path: Path,
    *,
    statusline: str | None,
    guard: str | None,
    force: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> Change:
    """Merge the status line command and/or the guard command into ``agent``'s file at ``path``."""
    if statusline and agent != "claude-code":
        raise UserInputError(f"{LABELS[agent]} has no status line command to install; use --guard.", field="statusline")
    change = Change(agent, path)
    if path.suffix == ".toml":
        doc, _ = load_toml(path)
        if guard:
            import tomlkit

            hooks = doc.get("hooks")
            if hooks is None:
                hooks = tomlkit.table(is_super_table=True)
                doc["hooks"] = hooks
            elif not isinstance(hooks, dict):
                raise ConfigError(f"{path}: hooks is not a table; nothing was changed.")
            change.actions += set_guard(hooks, agent, guard, path, toml=True)
        text = doc.as_string()
    else:
        data, _ = load_json(path, hint=_hint(agent, statusline, guard))
        if statusline:
            change.actions += _set_statusline(data, statusline, path, force=force)
        if guard:
            hooks = data.setdefault("hooks", {})
            if not isinstance(hooks, dict):
                raise ConfigError(f"{path}: hooks is not an object; nothing was changed.")
            change.actions += set_guard(hooks, agent, guard, path)
        text = dump_json(data)
    return _finish(change, text, dry_run=dry_run, now=now)


def _set_statusline(data: dict[str, Any], command: str, path: Path, *, force: bool) -> list[str]:
    current = data.get("statusLine")
    if current is not None and not isinstance(current, dict):
        raise ConfigError(f"{path}: statusLine is not an object; nothing was changed.")
    if current and not is_ours(current.get("command"), "statusline") and not force:
        raise UserInputError(
            f"{path} already has a status line ({current.get('command')!r}). Remove it first, or replace it "
            "(a backup of the file is kept).",
            field="force",
        )
    wanted = {"type": "command", "command": command, "padding": 0}
    if current == wanted:
        return []
    if current:
        current.clear()
        current.update(wanted)
        return ["replaced the status line"]
    data["statusLine"] = wanted
    return ["added the status line"]


def uninstall(
    agent: str,
    path: Path,
    *,
    statusline: bool,
    guard: bool,
    dry_run: bool = False,
    now: datetime | None = None,
) -> Change:
    """Take our entries out of ``agent``'s file (a status line that is not ours stays)."""
    change = Change(agent, path)
    if not path.exists():
        return change
    if path.suffix == ".toml":
        doc, _ = load_toml(path)
        hooks = doc.get("hooks")
        if guard and isinstance(hooks, dict):
            change.actions += remove_guard(hooks, agent, path)
            if not hooks:
                del doc["hooks"]
        text = doc.as_string()
    else:
        data, _ = load_json(path)
        current = data.get("statusLine")
        if statusline and isinstance(current, dict) and is_ours(current.get("command"), "statusline"):
            del data["statusLine"]
            change.actions.append("removed the status line")
        hooks = data.get("hooks")
        if guard and isinstance(hooks, dict):
            change.actions += remove_guard(hooks, agent, path)
            if not hooks:
                del data["hooks"]
        text = dump_json(data)
    return _finish(change, text, dry_run=dry_run, now=now)


def _finish(change: Change, text: str, *, dry_run: bool, now: datetime | None) -> Change:
    change.text = text
    change.changed = bool(change.actions)
    if change.changed and not dry_run:
        change.backup = write_text(change.path, text, now=now or datetime.now(UTC))
    return change


def state(agent: str, path: Path) -> AgentState:
    """What is installed for ``agent`` in ``path``."""
    try:
        if path.suffix == ".toml":
            doc, exists = load_toml(path)
            hooks = doc.get("hooks")
            data: dict[str, Any] = {"hooks": hooks.unwrap() if hasattr(hooks, "unwrap") else hooks}
        else:
            data, exists = load_json(path)
    except ConfigError as exc:
        return AgentState(agent, path, path.exists(), problem=str(exc))
    current = data.get("statusLine")
    command = current.get("command") if isinstance(current, dict) else None
    events, commands = guard_events(data.get("hooks"))
    return AgentState(
        agent,
        path,
        exists,
        statusline=command if isinstance(command, str) else None,
        statusline_ours=is_ours(command, "statusline"),
        guard_events=tuple(events),
        guard_commands=tuple(dict.fromkeys(commands)),
    )
