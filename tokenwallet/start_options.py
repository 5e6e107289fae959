"""The tray app's start options, parsed in one place for every way of starting it.

``tokenwallet``, ``python -m tokenwallet`` and ``python -m tokenwallet.ui`` all read ``--home DIR``,
``--demo``, ``--background`` and ``-v`` here.  The module imports only the standard library and
parses by hand (no click, no argparse), so the first tray icon does not wait for an option parser.
Anything else on the command line (a subcommand, ``--help``, a typo) is not a tray start: the
console entry then hands the whole command line to the click front end, which explains mistakes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

HOME_ENV = "TOKENWALLET_HOME"

OPTIONS: tuple[tuple[str, str], ...] = (
    ("--home DIR", f"keep every file under this folder (also ${HOME_ENV})"),
    ("--demo", "start on built-in demo data in a throwaway home"),
    ("--background", "start in the tray without opening the dashboard"),
    ("-v, --verbose", "more log output on standard error (repeat for more)"),
)
"""Each start option and what it does, for the help texts of both front ends."""


@dataclass(frozen=True, slots=True)
class StartOptions:
    """How to start the tray app."""

    home: str | None = None
    demo: bool = False
    background: bool = False
    verbose: int = 0


@dataclass(frozen=True, slots=True)
class NotAStart:
    """The command line asks for something other than starting the tray app.

    ``problem`` says what, in plain words; ``help`` is true for ``-h``/``--help``.
    """

    problem: str
    help: bool = False


def parse_start_options(argv: list[str], environ: Mapping[str, str] | None = None) -> StartOptions | NotAStart:
    """The start options when ``argv`` only starts the tray app, else why it does not.

    Understands ``--home DIR``/``--home=DIR`` (default ``$TOKENWALLET_HOME``), ``--demo``,
    ``--background`` and ``-v``/``-vv``/``--verbose``.
    """
    env = os.environ if environ is None else environ
    home: str | None = env.get(HOME_ENV) or None
    demo = background = False
    verbose = 0
    words = iter(argv)
    for word in words:
        if word in ("-h", "--help"):
            return NotAStart("help asked for", help=True)
        if word == "--home":
            value = next(words, None)
            if value is None:
                return NotAStart("--home needs a folder")
            home = value
        elif word.startswith("--home="):
            home = word.removeprefix("--home=")
        elif word == "--demo":
            demo = True
        elif word == "--background":
            background = True
        elif word == "--verbose":
            verbose += 1
        elif len(word) > 1 and word.startswith("-") and set(word[1:]) == {"v"}:
            verbose += len(word) - 1
        else:
            return NotAStart(f"{word!r} is not a start option")
    if home is not None:
        if not home:
            return NotAStart("--home needs a folder")
        if os.path.isfile(home):
            return NotAStart(f"--home {home} is a file, not a folder")
    return StartOptions(home, demo, background, verbose)


def usage(prog: str) -> str:
    """A help text listing the start options, for ``prog``."""
    width = max(len(name) for name, _ in OPTIONS)
    lines = [f"usage: {prog} [OPTIONS]", "", "Start the tokenwallet tray app.", "", "options:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in (("-h, --help", "show this help"), *OPTIONS)]
    return "\n".join(lines)
