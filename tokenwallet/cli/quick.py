"""``status``, ``budget check``, ``alerts check`` and ``import AGENT`` without click.

Scripts, shell prompts, status bars and agents' hooks run these often, and loading click is a
fifth of their run.  The console entry (:mod:`tokenwallet.entry`) hands a command line that names
one of them here first: :func:`parse` accepts only what it understands completely -- the global
``--home DIR`` and ``-v``, one of these commands, and that command's own options written as click
writes them (``--opt VALUE``, ``--opt=VALUE``, flags) -- and returns None for anything else (help, a typo, an
unknown option, a value click would refuse, ``--``), which then goes to the click front end
(:mod:`tokenwallet.cli.root`) to be run or explained.  What it accepts it runs exactly as click
would: the same bodies (``run_*`` modules), set-up and error handling (:mod:`.session`).
``import`` is taken only when standard error is not a terminal: on one, click draws the progress
bar; elsewhere click prints just the bar's label, and so does this module.

:data:`OPTIONS` mirrors the click commands' options; a test compares the two, so they cannot drift.
"""

from __future__ import annotations

import os
import sys

from tokenwallet.paths import HOME_ENV

TYPE_CHECKING = False  # typing costs milliseconds to import; the annotations are strings
if TYPE_CHECKING:
    from tokenwallet.app import AppContext

FLAG = "flag"
TEXT = "text"
INT = "int"
PATH = "path"
IMPORT = "import"

OPTIONS: dict[tuple[str, ...], dict[str, tuple[str, str]]] = {
    ("status",): {"--json": ("as_json", FLAG), "--at": ("at", TEXT)},
    ("budget", "check"): {
        "--amount": ("amount", TEXT),
        "--model": ("model", TEXT),
        "--input-tokens": ("input_tokens", INT),
        "--output-tokens": ("output_tokens", INT),
        "--cached-input-tokens": ("cached_input_tokens", INT),
        "--allowance": ("name", TEXT),
        "--json": ("as_json", FLAG),
        "--at": ("at", TEXT),
    },
    ("alerts", "check"): {"--no-notify": ("no_notify", FLAG), "--json": ("as_json", FLAG)},
    **{
        (IMPORT, agent): {"--path": ("path", PATH), "--json": ("as_json", FLAG)}
        for agent in ("claude-code", "codex", "gemini")
    },
}
"""Per command (its words; ``import``'s agent is one of them): option -> (the click parameter's name, its kind)."""

DEFAULTS: dict[tuple[str, ...], dict[str, object]] = {
    words: {param: False if kind == FLAG else None for param, kind in options.values()}
    | ({"cached_input_tokens": 0} if words == ("budget", "check") else {})
    for words, options in OPTIONS.items()
}
"""Per command: each parameter's value when its option is not given (as the click command's defaults:
a flag is off, a value absent, and ``--cached-input-tokens`` 0)."""

NAMES_OPTIONS = (("status",), ("budget", "check"))
"""The commands whose errors about an input name its option (``@names_options`` in click)."""


class Parsed:
    """A command line :func:`parse` understood: the home, the verbosity, the command and its parameters."""

    __slots__ = ("command", "home", "params", "verbose")

    def __init__(self, home: str | None, verbose: int, command: tuple[str, ...], params: dict[str, object]) -> None:
        self.home = home
        self.verbose = verbose
        self.command = command
        self.params = params


def parse(argv: list[str], environ: dict[str, str] | os._Environ[str] | None = None) -> Parsed | None:
    """The command ``argv`` asks for, or None when click should read it (see the module's notes)."""
    env = os.environ if environ is None else environ
    home: str | None = None
    verbose = 0
    index = 0
    while index < len(argv):  # the group's options, before the command
        word = argv[index]
        if word == "--home":
            if index + 1 >= len(argv):
                return None
            home = argv[index + 1]
            index += 2
        elif word.startswith("--home="):
            home = word.removeprefix("--home=")
            index += 1
        elif word == "--verbose":
            verbose += 1
            index += 1
        elif len(word) > 1 and word[0] == "-" and set(word[1:]) == {"v"}:
            verbose += len(word) - 1
            index += 1
        else:
            break
    rest = argv[index:]
    command = next((words for words in OPTIONS if tuple(rest[: len(words)]) == words), None)
    if command is None:
        return None
    params = _options(rest[len(command) :], OPTIONS[command])
    if params is None:
        return None
    if home is None:
        home = env.get(HOME_ENV) or None
    if home is not None and not _usable_home(home):
        return None  # click says what is wrong with it
    return Parsed(home, verbose, command, DEFAULTS[command] | params)


def _options(words: list[str], known: dict[str, tuple[str, str]]) -> dict[str, object] | None:
    """The parameters ``words`` give, or None for anything click should read instead."""
    params: dict[str, object] = {}
    index = 0
    while index < len(words):
        word = words[index]
        name, equals, attached = word.partition("=")
        if not name.startswith("--") or name not in known:
            return None  # a positional word, help, "--", a short or unknown option
        param, kind = known[name]
        index += 1
        if kind == FLAG:
            if equals:
                return None
            params[param] = True
            continue
        if equals:
            value = attached
        elif index < len(words) and not words[index].startswith("-"):
            value = words[index]
            index += 1
        else:
            return None  # a missing value, or one that looks like an option: click decides
        if kind == INT:
            try:
                params[param] = int(value)
            except ValueError:
                return None
        elif kind == PATH:
            if not value or (os.path.exists(value) and not os.access(value, os.R_OK)):
                return None  # click's Path refuses an unreadable one; an empty one it reads as "."
            params[param] = value
        else:
            params[param] = value
    return params


def _usable_home(home: str) -> bool:
    """Whether click's ``Path(file_okay=False)`` accepts ``home``: empty, a file or unreadable it refuses."""
    if not home:
        return False
    if not os.path.exists(home):
        return True
    return os.path.isdir(home) and os.access(home, os.R_OK)


def option_for(command: tuple[str, ...], field: str | None) -> str | None:
    """The option of ``command`` that carries ``field`` (the rule of :func:`.session.option_for`)."""
    from tokenwallet.cli.session import option_for as pick

    return pick(field, ((option, param) for option, (param, _) in OPTIONS[command].items()))


def main(argv: list[str]) -> int | None:
    """Run ``argv`` when :func:`parse` understands it and return the exit status; else None."""
    parsed = parse(argv)
    if parsed is None:
        return None
    if parsed.command[0] == IMPORT and _is_terminal(sys.stderr):
        return None  # click draws the progress bar
    from tokenwallet.cli.output import echo
    from tokenwallet.cli.session import close_app, error_exit, open_app
    from tokenwallet.domain.errors import UserInputError

    try:
        app = open_app(parsed.home, parsed.verbose)
    except UserInputError as exc:
        echo(f"error: {exc}", err=True)
        return 2
    try:
        return _run(app, parsed)
    except BrokenPipeError:  # the reader went away (``| head``): as click, exit 1 without a word
        return 1
    except Exception as exc:
        mapped = error_exit(exc, app)
        if mapped is None:
            raise  # a bug: shown with its (redacted) traceback
        message, code = mapped
        if isinstance(exc, UserInputError) and parsed.command in NAMES_OPTIONS:
            option = option_for(parsed.command, exc.field)
            if option is not None:
                message = f"{option}: {message}"
        echo(f"error: {message}", err=True)
        return code
    except KeyboardInterrupt:
        echo(err=True)
        echo("Aborted!", err=True)
        return 1
    finally:
        close_app(app)


def _run(app: AppContext, parsed: Parsed) -> int:
    """Run the command's body, as its click command does."""
    params = parsed.params
    if parsed.command == ("status",):
        from tokenwallet.cli.run_status import run_status

        run_status(app, as_json=bool(params["as_json"]), at=_text(params["at"]))
        return 0
    if parsed.command == ("budget", "check"):
        from tokenwallet.cli.run_budget_check import run_budget_check

        return run_budget_check(
            app,
            amount=_text(params["amount"]),
            model=_text(params["model"]),
            input_tokens=_number(params["input_tokens"]),
            output_tokens=_number(params["output_tokens"]),
            cached_input_tokens=_number(params["cached_input_tokens"]) or 0,
            name=_text(params["name"]),
            as_json=bool(params["as_json"]),
            at=_text(params["at"]),
        )
    if parsed.command == ("alerts", "check"):
        from tokenwallet.cli.run_alerts_check import run_alerts_check

        run_alerts_check(app, notify=not params["no_notify"], as_json=bool(params["as_json"]))
        return 0
    from pathlib import Path

    from tokenwallet.cli.output import echo
    from tokenwallet.cli.run_import import import_logs, label, show_import

    agent = parsed.command[1]
    echo(label(agent), err=True)  # what click's progress bar prints when there is no terminal
    path = _text(params["path"])
    total, cost = import_logs(app, agent, None if path is None else Path(path))
    show_import(agent, total, cost, as_json=bool(params["as_json"]))
    return 0


def _is_terminal(stream: object) -> bool:
    try:
        return bool(stream is not None and stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _number(value: object) -> int | None:
    return value if isinstance(value, int) else None
