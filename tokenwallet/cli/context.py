"""The object every CLI command receives: the app context plus error handling."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import click

from tokenwallet.app import AppContext
from tokenwallet.domain.errors import CorruptLedgerError, TokenwalletError, UserInputError

F = TypeVar("F", bound=Callable[..., Any])

pass_app = click.make_pass_decorator(AppContext)


def handle_errors(func: F) -> F:
    """Turn tokenwallet errors into a clear message and an exit status.

    Exit status 2: bad input; 3: the ledger was damaged and moved aside; 1: anything else,
    including a ledger that could not be used (full disk, locked, read-only), which SQLite
    reports as ``sqlite3`` errors and :meth:`AppContext.ledger_error` puts into plain words.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserInputError as exc:
            raise click.exceptions.Exit(_report(str(exc), 2)) from exc
        except CorruptLedgerError as exc:
            raise click.exceptions.Exit(_report(str(exc), 3)) from exc
        except TokenwalletError as exc:
            raise click.exceptions.Exit(_report(str(exc), 1)) from exc
        except sqlite3.Error as exc:
            context = click.get_current_context(silent=True)
            app = context.find_object(AppContext) if context is not None else None
            mapped = app.ledger_error(exc) if app is not None else None
            if mapped is None:
                raise  # not a ledger condition: a bug, shown with its traceback
            code = 3 if isinstance(mapped, CorruptLedgerError) else 1
            raise click.exceptions.Exit(_report(str(mapped), code)) from exc

    return wrapper  # type: ignore[return-value]


def _report(message: str, code: int) -> int:
    click.echo(f"error: {message}", err=True)
    return code
