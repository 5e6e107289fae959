"""What a failed background operation tells the user: always a domain error, in plain words.

:func:`explain` runs on the worker thread that met the failure (so a ledger error can close that
thread's connection); the window then shows the message as it is.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

from tokenwallet.domain.errors import LedgerError, TokenwalletError

if TYPE_CHECKING:
    from tokenwallet.app import AppContext

log = logging.getLogger(__name__)


def explain(exc: BaseException, ctx: AppContext) -> TokenwalletError:
    """``exc`` as a :class:`TokenwalletError` whose message a person can act on.

    Domain errors pass unchanged; SQLite errors become ledger errors (locked, full disk,
    read-only, damaged); a file that could not be written says which and why; anything else is
    a bug, logged with its traceback and shown as an unexpected error.
    """
    if isinstance(exc, TokenwalletError):
        return exc
    if isinstance(exc, sqlite3.Error):
        return _ledger_error(exc, ctx)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return TokenwalletError(f"a file could not be read or written{where}: {exc.strerror or exc}")
    log.error("unexpected error in a background operation", exc_info=exc)
    from tokenwallet.logging_setup import scrub

    return TokenwalletError(scrub(f"something unexpected went wrong ({type(exc).__name__}: {exc}); see the log"))


def _ledger_error(exc: sqlite3.Error, ctx: AppContext) -> TokenwalletError:
    ctx.close()  # this thread's connection may be unusable now; the next operation opens a new one
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return LedgerError("another tokenwallet process is writing; try again")
    if "full" in text or "disk i/o" in text:
        return LedgerError("the disk under the ledger is full or failed to write; nothing was changed")
    if "readonly" in text or "read-only" in text:
        return LedgerError(
            f"the ledger {ctx.paths.ledger_file} cannot be written (the file or its folder is read-only); "
            "nothing was changed"
        )
    return LedgerError(f"the ledger {ctx.paths.ledger_file} could not be used ({exc}); nothing was changed")
