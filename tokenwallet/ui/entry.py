"""The ``tokenwallet`` console command.

A bare ``tokenwallet`` (only the GUI options) goes straight to the tray launcher, so the icon does
not wait for click, the settings or the ledger; ``statusline`` and ``guard``, which agents run on
every refresh and tool call, go to :mod:`tokenwallet.agents.fast` (standard library only); any
other subcommand, ``--help`` or ``--version`` goes to the click command line in
:mod:`tokenwallet.cli`.  This module imports nothing heavier than ``collections`` for the same
reason.
"""

from __future__ import annotations

import os
import sys
from collections import namedtuple

GuiArgs = namedtuple("GuiArgs", ["home", "demo", "background", "verbose"])
"""The options of a bare launch: home (str or None), demo, background (bools), verbose (int)."""


def gui_args(argv: list[str], environ: dict[str, str] | os._Environ[str] | None = None) -> GuiArgs | None:
    """The options when ``argv`` asks only for the tray app; None for anything the CLI must handle.

    Understands ``--home DIR``/``--home=DIR``, ``--demo``, ``--background`` and ``-v``/``-vv``/``--verbose``;
    an unknown word (a subcommand, ``--help``, a typo) returns None so click parses it and reports errors.
    """
    env = os.environ if environ is None else environ
    home: str | None = env.get("TOKENWALLET_HOME") or None
    demo = background = False
    verbose = 0
    words = iter(argv)
    for word in words:
        if word == "--home":
            value = next(words, None)
            if value is None:
                return None
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
            return None
    if home is not None and (not home or os.path.isfile(home)):
        return None  # let click explain what is wrong with the folder
    return GuiArgs(home, demo, background, verbose)


def main() -> None:
    """Console entry point."""
    if "statusline" in sys.argv or "guard" in sys.argv:
        from tokenwallet.agents.fast import main as fast_main

        code = fast_main(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    args = gui_args(sys.argv[1:])
    if args is None:
        from tokenwallet.cli import main as cli_main

        cli_main()
        return
    from tokenwallet.ui.launcher import launch_home

    sys.exit(launch_home(args.home, demo=args.demo, background=args.background, verbose=args.verbose))
