"""Polling use cases: poll accounts now or when due (and, for the command line, evaluate the alert rules after).

The command line (``poll``, ``account test``) and the tray app's worker threads both poll through
these functions; they hold no Qt and run on whichever thread calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.app import AppContext
    from tokenwallet.sync.service import AfterPoll, PollOutcome


@dataclass(frozen=True, slots=True)
class PollResult:
    """What a poll job hands to the GUI thread: how polling each account went."""

    outcomes: tuple[PollOutcome, ...]


def check_accounts(ctx: AppContext, account_ids: Sequence[str]) -> None:
    """Raise :class:`~tokenwallet.domain.errors.NotFoundError` for an unknown id, before any request."""
    from tokenwallet.ledger import accounts

    db = ctx.ledger()
    for account_id in account_ids:
        accounts.get(db, account_id)


def pollable_ids(ctx: AppContext) -> list[str]:
    """The ids of the enabled accounts that have something to poll (every kind but manual entries)."""
    from tokenwallet.domain.accounts import AccountKind
    from tokenwallet.ledger import accounts

    return [
        a.id for a in accounts.list_accounts(ctx.ledger(), include_disabled=False) if a.kind is not AccountKind.MANUAL
    ]


def poll_accounts(ctx: AppContext, *, due_only: bool = False, only: Sequence[str] = ()) -> list[PollOutcome]:
    """Poll accounts through the sync service, one after another.

    ``only`` polls those ids (all of them, due or not); otherwise every enabled account is polled,
    or with ``due_only`` those the schedule says are due.
    """
    ids = list(only) or pollable_ids(ctx)
    if not ids:
        return []  # nothing to poll: do not load the HTTP client and connectors at all
    from tokenwallet.sync.service import poll_many

    service = ctx.poll_service()
    if due_only and not only:
        return list(service.poll_due())
    return list(poll_many(service, ids))


def poll_due(ctx: AppContext, account_ids: Sequence[str] = ()) -> list[PollOutcome]:
    """Poll the accounts whose time has come: every enabled one, or those of ``account_ids``.

    Due times are wall-clock times, so after sleep each overdue account is polled once.
    """
    if not account_ids:
        return poll_accounts(ctx, due_only=True)
    from tokenwallet.ledger import sync_state
    from tokenwallet.sync import schedule

    db = ctx.ledger()
    service = ctx.poll_service()
    states = [sync_state.get(db, account_id) for account_id in account_ids]
    return [service.poll(account_id) for account_id in schedule.due(states, ctx.clock())]


def run_alerts_after_each_poll(ctx: AppContext) -> None:
    """From now on, evaluate the alert rules after each successful poll, delivering as the settings say.

    The command line's ``poll`` uses this; the tray app evaluates after every change instead
    (:class:`tokenwallet.services.alert_watch.AlertWatch`).
    """
    ctx.after_poll.append(_alerts_after_poll(ctx))


def _alerts_after_poll(ctx: AppContext) -> AfterPoll:
    from tokenwallet.alerts.service import run_alerts
    from tokenwallet.services.alert_watch import alert_delivery

    deliver, _ = alert_delivery(ctx)

    def after_poll(db: Database, now: datetime) -> None:
        run_alerts(db, now, ctx.settings, deliver)

    return after_poll
