"""What the ``import`` command reports beyond the importer's counts: the cost it added, and the last sync.

An import of agent logs is a sync of those accounts like a poll: afterwards their "last sync" is
now, so the dashboard and the stale-data alert agree with what was just read.  The cost added is
the accounts' recorded cost after the import minus before, read from the daily rollup (cheap on
any ledger); rows imported before and read again count nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from msgspec.structs import replace

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def recorded_cost(ctx: AppContext, account_ids: Sequence[str]) -> int:
    """The cost (micro-USD) recorded for ``account_ids`` in all, priced rows only."""
    from tokenwallet.ledger import usage

    db = ctx.ledger()
    return sum(usage.account_totals(db, account_id)[1] for account_id in account_ids)


def mark_synced(ctx: AppContext, account_ids: Sequence[str]) -> None:
    """Record a successful sync of ``account_ids`` now (their next scheduled poll stays as it was)."""
    from tokenwallet.ledger import sync_state

    db = ctx.ledger()
    now = ctx.clock()
    with db.atomic():
        for account_id in account_ids:
            state = sync_state.get(db, account_id)
            sync_state.put(
                db, replace(state, last_attempt=now, last_success=now, last_error="", error_kind="", failures=0)
            )
