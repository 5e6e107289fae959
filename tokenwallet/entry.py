"""The ``tokenwallet`` console command (and ``python -m tokenwallet``).

A command line with only start options (:mod:`tokenwallet.start_options`) starts the tray app
straight away, so the icon does not wait for click, the settings or the ledger; ``statusline`` and
``guard``, which agents run on every refresh and tool call, go to :mod:`tokenwallet.agents.fast`
(standard library only); ``status``, ``budget check``, ``alerts check`` and ``import`` go to the
click-free :mod:`tokenwallet.cli.quick` when it understands the whole command line; anything else
(a subcommand, ``--help``, ``--version``, a mistake) goes to the click front end in
:mod:`tokenwallet.cli.root`.  This module sits above both front ends (``ui`` never imports
``cli``) and imports only ``sys`` at load time, for the agents' sake.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; the annotations are strings
if TYPE_CHECKING:
    from typing import NoReturn


def main(argv: list[str] | None = None) -> None:
    """Console entry point: start the tray app or run a command-line command, then exit."""
    words = sys.argv[1:] if argv is None else argv
    if "statusline" in words or "guard" in words:
        from tokenwallet.agents.fast import main as fast_main

        code = fast_main(words)
        if code is not None:
            sys.exit(code)
    if "status" in words or "check" in words or "import" in words:  # see tokenwallet.cli.quick
        from tokenwallet.cli.quick import main as quick_main

        quick = quick_main(words)
        if quick is not None:
            if argv is None:
                _exit_now(quick)
            sys.exit(quick)
    from tokenwallet.start_options import StartOptions, parse_start_options

    parsed = parse_start_options(words)
    if isinstance(parsed, StartOptions):
        from tokenwallet.ui import run_gui  # Qt is imported only when the tray app starts

        sys.exit(run_gui(parsed))
    from tokenwallet.cli.root import main as cli_main

    try:
        cli_main(words)
    except SystemExit as done:
        if argv is None:  # the process's own command line: it ends here
            _exit_now(done.code)
        raise


def _exit_now(code: object) -> NoReturn:
    """End the process with ``code`` as ``sys.exit`` would, without the interpreter's teardown.

    A command has closed its ledger, HTTP client and workers by now; what is left is freeing every
    object and module one by one, about 15 ms or a seventh of a short command's run (status lines,
    hooks and scripts run these often).  Log handlers and the standard streams are flushed first; a thread
    still running (none should) gets the normal exit, which waits for it.
    """
    import os
    import threading

    if threading.active_count() > 1:
        sys.exit(code)  # type: ignore[arg-type]
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)  # as sys.exit("message") does
        status = 1
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``): nothing more can reach it
            pass
    os._exit(status & 0xFF)  # the low byte, as the C exit() the interpreter calls keeps
