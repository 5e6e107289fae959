"""``python -m tokenwallet.ui``: start the tray app without loading the command-line tools first.

It takes the same GUI options as the bare ``tokenwallet`` command, without click.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse ``--home``, ``--demo``, ``--background`` and ``-v`` and run the tray app."""
    parser = argparse.ArgumentParser(prog="tokenwallet-tray", description="The tokenwallet tray app.")
    parser.add_argument("--home", default=os.environ.get("TOKENWALLET_HOME"), help="keep every file under this folder")
    parser.add_argument("--demo", action="store_true", help="built-in demo data in a throwaway home")
    parser.add_argument("--background", action="store_true", help="start in the tray without the dashboard")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    args = parser.parse_args(argv)
    from tokenwallet.app import AppContext
    from tokenwallet.logging_setup import configure_stderr_logging
    from tokenwallet.ui import run_gui

    configure_stderr_logging(logging.WARNING - 10 * args.verbose)
    return run_gui(AppContext.create(args.home), demo=args.demo, background=args.background)


if __name__ == "__main__":
    sys.exit(main())
