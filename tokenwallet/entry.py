"""The ``tokenwallet`` console command (and ``python -m tokenwallet``).

A command line with only start options (:mod:`tokenwallet.start_options`) starts the tray app
straight away, so the icon does not wait for click, the settings or the ledger; ``statusline`` and
``guard``, which agents run on every refresh and tool call, go to :mod:`tokenwallet.agents.fast`
(standard library only); anything else (a subcommand, ``--help``, ``--version``, a mistake) goes to
the click front end in :mod:`tokenwallet.cli`.  This module sits above both front ends (``ui``
never imports ``cli``) and imports only ``sys`` at load time, for the agents' sake.
"""

import sys


def main(argv: list[str] | None = None) -> None:
    """Console entry point: start the tray app or run a command-line command, then exit."""
    words = sys.argv[1:] if argv is None else argv
    if "statusline" in words or "guard" in words:
        from tokenwallet.agents.fast import main as fast_main

        code = fast_main(words)
        if code is not None:
            sys.exit(code)
    from tokenwallet.start_options import StartOptions, parse_start_options

    parsed = parse_start_options(words)
    if isinstance(parsed, StartOptions):
        from tokenwallet.ui import run_gui  # Qt is imported only when the tray app starts

        sys.exit(run_gui(parsed))
    from tokenwallet.cli import main as cli_main

    cli_main(words)
