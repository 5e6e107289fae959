"""What a failed background operation tells the user: always a domain error, in plain words.

:func:`explain` runs on the worker thread that met the failure (so a ledger error can close that
thread's connection); the window then shows the message as it is.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

from tokenwallet.domain.errors import TokenwalletError

if TYPE_CHECKING:
    from tokenwallet.app import AppContext

log = logging.getLogger(__name__)


def explain(exc: BaseException, ctx: AppContext) -> TokenwalletError:
    """``exc`` as a :class:`TokenwalletError` whose message a person can act on.

    Domain errors pass unchanged; SQLite errors become the ledger's own errors in plain words
    (:meth:`AppContext.ledger_error`: locked, full disk, read-only, damaged and moved aside); a
    file that could not be written says which and why; anything else is a bug, logged with its
    traceback and shown as an unexpected error.
    """
    if isinstance(exc, TokenwalletError):
        return exc
    if isinstance(exc, sqlite3.Error):
        # Closes this thread's connection; a damaged file is moved aside and every thread reopens.
        mapped = ctx.ledger_error(exc)
        if mapped is not None:
            return mapped
    elif isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return TokenwalletError(f"a file could not be read or written{where}: {exc.strerror or exc}")
    log.error("unexpected error in a background operation", exc_info=exc)
    from tokenwallet.logging_setup import scrub

    return TokenwalletError(scrub(f"something unexpected went wrong ({type(exc).__name__}: {exc}); see the log"))
