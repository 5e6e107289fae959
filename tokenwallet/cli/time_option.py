"""``--at TIME``: run a command as at another time (to reproduce a state), through the one clock."""

from __future__ import annotations

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import parse_when
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.errors import input_field


def use_time(app: AppContext, at: str) -> None:
    """Set ``app``'s clock to ``at`` (ISO date or datetime, the user's zone when naive), standing still.

    The time must lie in 1970-2199 (:mod:`tokenwallet.domain.limits`); a bad one is a
    :class:`~tokenwallet.domain.errors.UserInputError` naming the ``at`` field.
    """
    from tokenwallet.services.local_zone import local_zone_name

    with input_field("at"):
        when = parse_when(at, local_zone_name(app), what="time")
    app.clock = FixedClock(when)
