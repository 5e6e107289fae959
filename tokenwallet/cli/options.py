"""Point at the command-line option a refused value came from.

Services speak in domain words and name the input in ``UserInputError.field`` (``anchor_day``);
:func:`names_options` puts the option that carries it in front of the message
(``--anchor-day: The anchor day 31 ...``) before the error handler reports it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from tokenwallet.cli import session
from tokenwallet.domain.errors import UserInputError

F = TypeVar("F", bound=Callable[..., Any])


def option_for(field: str | None) -> str | None:
    """The running command's option for ``field`` (by parameter name or ``--field-name``), if any."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    options = (
        (option, param.name or "")
        for param in ctx.command.params
        if isinstance(param, click.Option)
        for option in param.opts
    )
    return session.option_for(field, options)


def names_options(func: F) -> F:
    """Prefix a :class:`UserInputError` about a field with the option that carries it."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserInputError as exc:
            option = option_for(exc.field)
            if option is None:
                raise
            raise type(exc)(f"{option}: {exc}", field=exc.field) from exc

    return wrapper  # type: ignore[return-value]
