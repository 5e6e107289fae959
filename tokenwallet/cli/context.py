"""The object every CLI command receives: the app context plus error handling."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.output import echo
from tokenwallet.cli.session import error_exit
from tokenwallet.domain.errors import TokenwalletError

F = TypeVar("F", bound=Callable[..., Any])

pass_app = click.make_pass_decorator(AppContext)


def handle_errors(func: F) -> F:
    """Turn tokenwallet errors into a clear message and an exit status.

    The statuses are :func:`~tokenwallet.cli.session.error_exit`'s.  A ``sqlite3`` error that is
    not a ledger condition is a bug, shown with its traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (TokenwalletError, sqlite3.Error) as exc:
            context = click.get_current_context(silent=True)
            app = context.find_object(AppContext) if context is not None else None
            mapped = error_exit(exc, app)
            if mapped is None:
                raise
            message, code = mapped
            echo(f"error: {message}", err=True)
            raise click.exceptions.Exit(code) from exc

    return wrapper  # type: ignore[return-value]
