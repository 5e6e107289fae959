"""``python -m tokenwallet.ui``: start the tray app without the command-line front end.

It takes the same start options as the bare ``tokenwallet`` command (one parser,
:mod:`tokenwallet.start_options`), and explains anything else instead of running a command.
"""

from __future__ import annotations

import sys

from tokenwallet.start_options import NotAStart, parse_start_options, usage

PROG = "python -m tokenwallet.ui"


def main(argv: list[str] | None = None) -> int:
    """Parse the start options and run the tray app; 2 (with the usage) for anything else."""
    parsed = parse_start_options(sys.argv[1:] if argv is None else argv)
    if isinstance(parsed, NotAStart):
        if parsed.help:
            print(usage(PROG))
            return 0
        print(f"{PROG}: {parsed.problem}\n\n{usage(PROG)}", file=sys.stderr)
        return 2
    from tokenwallet.ui import run_gui

    return run_gui(parsed)


if __name__ == "__main__":
    sys.exit(main())
