"""``python -m tokenwallet.ui``: start the tray app without loading the command-line tools first.

It takes the same GUI options as the bare ``tokenwallet`` command, without click.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Parse ``--home``, ``--demo``, ``--background`` and ``-v`` and run the tray app."""
    from tokenwallet.entry import GuiArgs, gui_args

    argv = sys.argv[1:] if argv is None else argv
    args = gui_args(argv)
    if args is None:  # --help or a mistake: argparse explains (and exits)
        import argparse
        import os

        parser = argparse.ArgumentParser(prog="tokenwallet-tray", description="The tokenwallet tray app.")
        parser.add_argument("--home", default=os.environ.get("TOKENWALLET_HOME"), help="keep every file here")
        parser.add_argument("--demo", action="store_true", help="built-in demo data in a throwaway home")
        parser.add_argument("--background", action="store_true", help="start in the tray without the dashboard")
        parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
        parsed = parser.parse_args(argv)
        args = GuiArgs(parsed.home or None, parsed.demo, parsed.background, parsed.verbose)
    from tokenwallet.ui.runtime.launcher import launch_home

    return launch_home(args.home, demo=args.demo, background=args.background, verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
