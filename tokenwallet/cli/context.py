"""The object every CLI command receives: the app context plus error handling."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from tokenwallet.app import AppContext
from tokenwallet.domain.errors import CorruptLedgerError, TokenwalletError, UserInputError

F = TypeVar("F", bound=Callable[..., Any])

pass_app = click.make_pass_decorator(AppContext)


def handle_errors(func: F) -> F:
    """Turn tokenwallet errors into a clear message and an exit status (2 for bad input)."""

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

    return wrapper  # type: ignore[return-value]


def _report(message: str, code: int) -> int:
    click.echo(f"error: {message}", err=True)
    return code
