"""The status snapshot: every allowance's figures now, the accounts, their sync state and readings.

What ``tokenwallet status`` prints and what ``allowance show`` and ``budget check`` compute from.
An allowance whose stored values are out of bounds (written by an older version) cannot be
computed: :func:`status_report` leaves it out and says why in ``left_out``; asking for that one
allowance (:func:`allowance_figures`) raises :class:`~tokenwallet.domain.errors.StoredValueError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from tokenwallet.domain.accounts import Account, SyncState
from tokenwallet.domain.allowance import Allowance, AllowanceStatus
from tokenwallet.domain.errors import StoredValueError
from tokenwallet.domain.meter import LinkSuggestion
from tokenwallet.domain.usage import BalanceSnapshot
from tokenwallet.ledger import accounts, allowances, snapshots, sync_state
from tokenwallet.ledger.checked_status import checked_status

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.app import AppContext
    from tokenwallet.ledger.policies import PolicyLink
    from tokenwallet.policy.off_policy import OffPolicySpend


class AllowanceFigures(msgspec.Struct, frozen=True):
    """An allowance with its status at one moment."""

    allowance: Allowance
    status: AllowanceStatus


class StatusReport(msgspec.Struct, frozen=True):
    """Everything ``status`` shows, read at ``generated_at``."""

    generated_at: datetime
    allowances: tuple[AllowanceFigures, ...]
    accounts: tuple[Account, ...]
    sync_states: tuple[SyncState, ...]
    snapshots: tuple[BalanceSnapshot, ...]
    left_out: tuple[str, ...] = ()
    """Why an allowance is missing from ``allowances`` (a stored value out of bounds), one line each."""
    policy_links: Mapping[str, PolicyLink] = msgspec.field(default_factory=dict)
    """The employer policy that created an allowance, by allowance id (absent: made by hand)."""
    off_policy: tuple[OffPolicySpend, ...] = ()
    """This month's usage outside each imported policy's restrictions (none: no restrictions)."""
    suggestions: tuple[LinkSuggestion, ...] = ()
    """Agent-log sources that look billed through an API account but are not linked (counted twice?)."""


def figures(db: Database, allowance: Allowance, now: datetime) -> AllowanceFigures:
    """``allowance`` with its status at ``now``; :class:`StoredValueError` when it cannot be computed."""
    return AllowanceFigures(allowance, checked_status(db, allowance, now))


def every_allowance(db: Database, now: datetime) -> tuple[list[AllowanceFigures], list[str]]:
    """The figures of every allowance by name, and why any allowance was left out."""
    done: list[AllowanceFigures] = []
    left_out: list[str] = []
    for allowance in allowances.list_allowances(db):
        try:
            done.append(figures(db, allowance, now))
        except StoredValueError as exc:
            left_out.append(str(exc))
    return done, left_out


def status_report(ctx: AppContext) -> StatusReport:
    """Every allowance, account, sync state and newest balance or limit reading, now."""
    # Policies only here: budget check and the meter refresh need the figures, not the policies.
    from tokenwallet.ledger import policies
    from tokenwallet.services.policy_value import off_policy_spend

    db = ctx.ledger()
    now = ctx.clock()
    done, left_out = every_allowance(db, now)
    return StatusReport(
        generated_at=now,
        allowances=tuple(done),
        accounts=tuple(accounts.list_accounts(db)),
        sync_states=tuple(sync_state.all_states(db)),
        snapshots=tuple(snapshots.latest(db)),
        left_out=tuple(left_out),
        policy_links={link.allowance_id: link for link in policies.links(db)},
        off_policy=tuple(off_policy_spend(ctx)),
        suggestions=tuple(link_suggestions(db, now)),
    )


def link_suggestions(db: Database, now: datetime) -> list[LinkSuggestion]:
    """Agent-log sources whose usage looks billed through an API account they are not linked to.

    Their tokens per model and day over the last two weeks are contained in the account's reported
    tokens; the user links them (``account edit LOGS --billed-by ACCOUNT``) so they count once.
    """
    from tokenwallet.ledger.counting import overlap_suggestions

    return overlap_suggestions(db, now)


def allowance_figures(ctx: AppContext, allowance: str) -> AllowanceFigures:
    """One allowance (name or id) with its status now, grants included."""
    db = ctx.ledger()
    return figures(db, allowances.find(db, allowance), ctx.clock())
