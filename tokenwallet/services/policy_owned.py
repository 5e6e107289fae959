"""Fields of a policy-created allowance that only the employer policy may change.

An allowance created by a policy import is marked with the fields the policy owns (its name,
unit, amount, cadence, anchor day and rollover, plus the zone, dates, providers and models when
the file gives them).  A hand edit of one of them is refused with words that name the policy: the
next revision would otherwise undo it without anyone noticing.  The accounts it counts stay the
user's to choose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenwallet.domain.allowance import Allowance
from tokenwallet.domain.errors import UserInputError
from tokenwallet.ledger import policies

if TYPE_CHECKING:
    from sqlite_utils import Database

_OWNED_FIELD = {
    "name": ("name", "name"),
    "unit": ("unit", "unit"),
    "amount": ("amount", "amount"),
    "cadence": ("cadence", "cadence"),
    "anchor_day": ("anchor day", "anchor_day"),
    "rollover": ("rollover", "rollover_cap"),
    "timezone": ("time zone", "timezone"),
    "starts": ("start", "starts"),
    "ends": ("end", "ends"),
    "providers": ("providers", "providers"),
    "models": ("models", "models"),
}
"""A policy-owned field: how to name it to a person, and the input field that sets it."""


def refuse_policy_owned(db: Database, before: Allowance, after: Allowance) -> None:
    """Refuse a hand edit of a field that the employer policy which created the allowance owns.

    The policy is where those values come from: an edit here would be undone, unnoticed, by the
    next revision.  Fields the policy does not own (the accounts in scope) stay editable.
    """
    link = policies.link_for(db, before.id)
    if link is None:
        return
    values = {
        "name": lambda a: a.name,
        "unit": lambda a: a.unit,
        "amount": lambda a: a.amount,
        "cadence": lambda a: a.cadence,
        "anchor_day": lambda a: a.anchor_day,
        "rollover": lambda a: a.rollover,
        "timezone": lambda a: a.timezone,
        "starts": lambda a: a.starts_at,
        "ends": lambda a: a.ends_at,
        "providers": lambda a: a.scope.providers,
        "models": lambda a: a.scope.models,
    }
    for owned in link.owned:
        read = values.get(owned)
        if read is not None and read(before) != read(after):
            words, field = _OWNED_FIELD[owned]
            raise UserInputError(
                f"The {words} of {before.name!r} is set by the employer policy {link.policy_id!r} "
                f"(revision {link.revision}); it changes when a newer revision of the policy is imported. "
                "The accounts it counts can still be changed here.",
                field=field,
            )
