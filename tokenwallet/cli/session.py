"""One command's run: the app it opens, how it closes, and the exit status of what went wrong.

Shared by both front ends (:mod:`tokenwallet.cli.root` and :mod:`tokenwallet.cli.quick`), so a
command does the same set-up and reports the same errors whichever one runs it.  No click here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from tokenwallet.app import AppContext

EXIT_INPUT = 2
"""Bad input from the user."""
EXIT_CORRUPT = 3
"""The ledger was damaged and moved aside."""
EXIT_FAILED = 1
"""Anything else a user can meet: a ledger that could not be used, a keyring, a provider."""


def open_app(home: str | None, verbose: int) -> AppContext:
    """The app context for one command: its home, the log file and the meter kept current.

    Raises :class:`~tokenwallet.domain.errors.UserInputError` for a bad ``$TOKENWALLET_NOW``.
    Close it with :func:`close_app`.
    """
    from tokenwallet.logging_setup import configure_logging, redact_uncaught_exceptions

    redact_uncaught_exceptions()
    app = AppContext.create(home)  # the clock honours TOKENWALLET_NOW
    configure_logging(logging.WARNING - 10 * verbose, app.paths.log_file)
    from tokenwallet.services.meter_snapshot import keep_meter_current

    keep_meter_current(app)  # every change a command makes reaches the status line and the guard
    return app


def close_app(app: AppContext) -> None:
    """After a command: rewrite the meter snapshot if the ledger changed, then close the ledger and HTTP client."""
    try:
        app.ledger_changed()
    finally:
        app.shutdown()


def error_exit(exc: BaseException, app: AppContext | None) -> tuple[str, int] | None:
    """(message, exit status) for an error a command met, or None when ``exc`` is a bug to show.

    Exit status 2: bad input; 3: the ledger was damaged and moved aside; 1: anything else,
    including a ledger that could not be used (full disk, locked, read-only), which SQLite
    reports as ``sqlite3`` errors and :meth:`AppContext.ledger_error` puts into plain words.
    """
    import sqlite3

    from tokenwallet.domain.errors import CorruptLedgerError, TokenwalletError, UserInputError

    if isinstance(exc, UserInputError):
        return str(exc), EXIT_INPUT
    if isinstance(exc, CorruptLedgerError):
        return str(exc), EXIT_CORRUPT
    if isinstance(exc, TokenwalletError):
        return str(exc), EXIT_FAILED
    if isinstance(exc, sqlite3.Error) and app is not None:
        mapped = app.ledger_error(exc)
        if mapped is not None:
            return str(mapped), EXIT_CORRUPT if isinstance(mapped, CorruptLedgerError) else EXIT_FAILED
    return None


def option_for(field: str | None, options: Iterable[tuple[str, str]]) -> str | None:
    """The option that carries ``field``, among a command's (option, parameter name) pairs.

    ``--field-name`` when the command has it, else the first option of the parameter named
    ``field``; None when neither.  Both front ends name the option of a refused input with it.
    """
    if not field:
        return None
    pairs = list(options)
    wanted = "--" + field.replace("_", "-")
    if any(option == wanted for option, _ in pairs):
        return wanted
    return next((option for option, param in pairs if param == field), None)
