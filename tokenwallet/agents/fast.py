"""``tokenwallet statusline`` and ``tokenwallet guard`` without click, the ledger or the catalog.

The console entry point (:func:`tokenwallet.entry.main`) hands these two commands here before
anything else is imported: agents run them on every status-line refresh, prompt and tool call, so
they read the meter snapshot (:mod:`tokenwallet.services.agent_files`) and import only the
standard library.  The slow path -- opening the ledger to confirm and audit a block, or to record
an override given through the environment -- is taken only when the guard is about to refuse.

Neither command may break its host: the status line always exits 0 and prints a line; the guard
exits 2 only to block, and 1 (a non-blocking error every agent shows and ignores) for a mistake in
its own options or an unexpected failure.
"""

from __future__ import annotations

import os
import sys
import time

from tokenwallet.services.agent_files import REFRESH_LOCK, cache_dir, ledger_file, overridden, read_meter

TYPE_CHECKING = False  # typing costs milliseconds to import; the annotations are strings anyway
if TYPE_CHECKING:
    from typing import IO, Any

FAST_COMMANDS = ("statusline", "guard")
MAX_INPUT = 4 << 20
"""Hook and status-line input larger than this is not read (Claude Code sends a few kilobytes)."""
REFRESH_EVERY = 60.0
"""Start at most one background refresh of the meter per this many seconds."""
FALLBACK = "tokenwallet"


def route(argv: list[str]) -> tuple[str | None, str, list[str]] | None:
    """(home, command, its arguments) when ``argv`` is a fast command, else None (click handles it).

    Global options before the command: ``--home DIR``, ``--home=DIR``, ``-v``.  Help and
    ``guard override`` go to click.
    """
    home: str | None = None
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--home" and index + 1 < len(argv):
            home = argv[index + 1]
            index += 2
        elif word.startswith("--home="):
            home = word.removeprefix("--home=")
            index += 1
        elif word == "--verbose" or (len(word) > 1 and word[0] == "-" and set(word[1:]) == {"v"}):
            index += 1
        else:
            break
    if index >= len(argv) or argv[index] not in FAST_COMMANDS or home == "":
        return None
    command, rest = argv[index], argv[index + 1 :]
    if "-h" in rest or "--help" in rest or (command == "guard" and rest[:1] == ["override"]):
        return None
    return home, command, rest


def read_event(stream: IO[str] | None) -> dict[str, Any]:
    """The JSON object on ``stream``; {} for a terminal, nothing, or anything that is not a JSON object."""
    import json

    if stream is None:
        return {}
    try:
        if stream.isatty():
            return {}
        raw = stream.buffer.read(MAX_INPUT + 1) if hasattr(stream, "buffer") else stream.read(MAX_INPUT + 1)
    except (OSError, ValueError):
        return {}
    if len(raw) > MAX_INPUT:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def find_meter(home: str | None, environ: dict[str, str] | os._Environ[str]) -> tuple[str, dict[str, Any] | None]:
    """The cache folder and the snapshot in it (asking platformdirs only when the quick guess finds none)."""
    folder = cache_dir(home, environ)
    meter = read_meter(folder)
    if meter is None and not (home or environ.get("TOKENWALLET_HOME")):
        from tokenwallet.paths import AppPaths

        exact = str(AppPaths.from_platformdirs().cache_dir)
        if exact != folder:
            folder, meter = exact, read_meter(exact)
    return folder, meter


def start_refresh(home: str | None, folder: str, environ: dict[str, str] | os._Environ[str], now: float) -> bool:
    """Rewrite the snapshot in a detached ``tokenwallet agents meter`` (at most once a minute).

    Only where a ledger exists: the status line of a user who has not set tokenwallet up yet
    must not create one.
    """
    known = ledger_file(home, environ)
    if known is not None and not os.path.exists(known):
        return False
    if not os.path.isdir(folder):
        return False
    lock = os.path.join(folder, REFRESH_LOCK)
    try:
        if now - os.stat(lock).st_mtime < REFRESH_EVERY:
            return False
    except OSError:
        pass
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        os.utime(lock, (now, now))
    except OSError:
        return False
    argv = [sys.executable, "-m", "tokenwallet"]
    if home:
        argv += ["--home", home]
    argv += ["agents", "meter", "--quiet", "--if-ledger-exists"]
    try:
        if sys.platform == "win32":
            import subprocess

            flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
            subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                creationflags=flags,
                close_fds=True,
            )
        else:
            null = os.devnull
            actions = [
                (os.POSIX_SPAWN_OPEN, 0, null, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, null, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, null, os.O_WRONLY, 0),
            ]
            os.posix_spawn(sys.executable, argv, dict(environ), file_actions=actions, setsid=True)
    except OSError:
        return False
    return True


def _option(args: list[str], name: str) -> str | None:
    for index, word in enumerate(args):
        if word == name and index + 1 < len(args):
            return args[index + 1]
        if word.startswith(name + "="):
            return word[len(name) + 1 :]
    return None


def statusline(
    home: str | None,
    args: list[str],
    stdin: IO[str] | None,
    stdout: IO[str],
    environ: dict[str, str] | os._Environ[str],
    now: float,
) -> int:
    """Print the status line; always exit 0."""
    line = FALLBACK
    try:
        from tokenwallet.agents.statusline import render

        event = read_event(stdin)
        folder, meter = find_meter(home, environ)
        colour = not environ.get("NO_COLOR")
        line, refresh = render(event, meter, now=now, allowance=_option(args, "--allowance"), colour=colour)
        if refresh:
            start_refresh(home, folder, environ, now)
    except BaseException:  # the host's status line must never break, whatever happened
        line = line or FALLBACK
    try:
        stdout.write(line + "\n")
        stdout.flush()
    except (OSError, ValueError):
        pass
    return 0


def guard(
    home: str | None,
    args: list[str],
    stdin: IO[str] | None,
    stdout: IO[str],
    stderr: IO[str],
    environ: dict[str, str] | os._Environ[str],
    now: float,
) -> int:
    """Answer one hook call: exit 0 (maybe with context on stdout), 2 to block, 1 for a guard error."""
    from tokenwallet.agents.guard import BLOCK, ENV_OFF, EVENTS, decide, output, parse_options

    try:
        options = parse_options(args)
    except ValueError as exc:
        stderr.write(f"tokenwallet guard: {exc}\n")
        return 1
    try:
        event = read_event(stdin)
        name = event.get("hook_event_name")
        if name not in EVENTS:
            return 0
        folder, meter = find_meter(home, environ)
        if meter is None or (isinstance(meter.get("valid_until"), int | float) and now >= meter["valid_until"]):
            start_refresh(home, folder, environ, now)
        try:
            decision = decide(event, meter, options, now)
        except LookupError as exc:
            stderr.write(f"tokenwallet guard: {exc}; check --allowance in the hook's command.\n")
            return 1
        if decision.action == BLOCK:
            session_id = str(event.get("session_id") or "")
            if overridden(folder, session_id, now):
                return 0
            off = environ.get(ENV_OFF, "").strip().lower() in ("off", "0", "false", "no")
            decision = confirm_block(home, event, options, decision, off=off, now=now)
        text, err, code = output(decision, str(name))
        if text:
            stdout.write(text)
            stdout.flush()
        if err:
            stderr.write(err)
            stderr.flush()
        return code
    except Exception as exc:
        stderr.write(f"tokenwallet guard: {type(exc).__name__}: {exc}\n")
        return 1


def confirm_block(
    home: str | None, event: dict[str, Any], options: Any, decision: Any, *, off: bool, now: float
) -> Any:
    """The slow path: recompute from the ledger, then audit the block (or the environment override).

    Returns the decision to answer with: the block, or a fresh one when a top-up or a reset
    since the snapshot changed the answer, or a silent one for an override.
    """
    from tokenwallet.agents.guard import BLOCK, SILENT, Decision, decide
    from tokenwallet.app import AppContext
    from tokenwallet.services import agent_guard
    from tokenwallet.services.meter_snapshot import refresh_meter

    ctx = AppContext.create(home)
    try:
        fresh = decide(event, refresh_meter(ctx), options, now)
        if fresh.action != BLOCK:
            return fresh
        session_id = str(event.get("session_id") or "")
        if off and session_id:
            agent_guard.override_session(ctx, session_id, via="env", reason="TOKENWALLET_GUARD=off")
            return Decision(SILENT)
        tool = event.get("tool_name")
        agent_guard.record_block(
            ctx,
            row=fresh.row,
            reserve=fresh.reserve,
            event=str(event.get("hook_event_name")),
            session_id=session_id,
            tool=tool if isinstance(tool, str) else "",
            agent=options.agent or ("gemini" if event.get("hook_event_name") in ("BeforeAgent", "BeforeTool") else ""),
            level=fresh.level,
        )
        return fresh
    except Exception as exc:  # the ledger cannot be used: the snapshot's answer stands, said so
        decision.text += f" (Not recorded in the audit log: {exc})"
        return decision
    finally:
        ctx.close()


def now_from(environ: dict[str, str] | os._Environ[str]) -> float:
    """``TOKENWALLET_NOW`` (ISO 8601; no offset: UTC) as every command honours it, else the time now.

    Standard library only; a value that is not a time is left to the slow path to report.
    """
    text = environ.get("TOKENWALLET_NOW", "").strip()
    if text:
        from datetime import UTC, datetime

        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return time.time()
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return time.time()


def main(argv: list[str]) -> int | None:
    """Run a fast command and return its exit status; None when ``argv`` is not one."""
    routed = route(argv)
    if routed is None:
        return None
    home, command, rest = routed
    now = now_from(os.environ)
    if command == "statusline":
        return statusline(home, rest, sys.stdin, sys.stdout, os.environ, now)
    return guard(home, rest, sys.stdin, sys.stdout, sys.stderr, os.environ, now)
