"""Applying a new poll interval to a running app: the timer tick and each account's next poll."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from msgspec.structs import replace

if TYPE_CHECKING:
    from sqlite_utils import Database

POLL_TICK_MS = 60_000  # ask the schedule which accounts are due; the schedule holds the intervals
MIN_TICK_MS = 15_000


def poll_tick_ms(minutes: int) -> int:
    """How often the timer asks which accounts are due: every minute, or twice per interval when shorter."""
    return max(MIN_TICK_MS, min(POLL_TICK_MS, minutes * 60_000 // 2))


def reschedule_polls(db: Database, minutes: int) -> int:
    """Move each account's next poll to its last poll plus the new interval (runs on a worker).

    Accounts with an interval of their own, accounts backing off after failures and accounts never
    polled keep their schedule.  A next poll already in the past stays due at once.  Returns how
    many accounts moved.
    """
    from tokenwallet.domain.accounts import AccountKind
    from tokenwallet.ledger import accounts, sync_state
    from tokenwallet.sources.registry import CONNECTORS
    from tokenwallet.sync.schedule import effective_interval

    moved = 0
    with db.atomic():
        for account in accounts.list_accounts(db, include_disabled=False):
            if account.kind is AccountKind.MANUAL or account.config.get("poll_interval_minutes"):
                continue
            state = sync_state.get(db, account.id)
            last = state.last_success
            if last is None or state.failures or state.next_due is None:
                continue
            connector = CONNECTORS.get(account.kind.value)
            floor = connector.min_interval if connector else timedelta(minutes=1)
            next_due = last + effective_interval(timedelta(minutes=minutes), floor)
            if next_due != state.next_due:
                sync_state.put(db, replace(state, next_due=next_due))
                moved += 1
    return moved
