"""An account's log totals stay within the documented limits, so no sum of its rows can overflow.

Each value of a log line is bounded when it is read (tokens 0..2^53, cost up to $10^12), but a
bucket, an hourly or daily rollup, or a report adds many of them.  The import therefore keeps
the running total of every account's log-derived tokens within ``MAX_TOKENS`` and its cost within
``MAX_MICROS``: lines that would pass either are rejected and counted.  Real use stays many
orders of magnitude below (2^53 tokens is nine million billion), and any sum within one account,
or across a thousand such accounts, fits SQLite's 64-bit integers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenwallet.domain.limits import MAX_MICROS, MAX_TOKENS
from tokenwallet.ledger import usage
from tokenwallet.ledger.log_entries import Moves, Row, add_moves

if TYPE_CHECKING:
    from sqlite_utils import Database


class AccountTotals:
    """The tokens and micro-USD an account's log rows add up to, including what this import added."""

    def __init__(self, tokens: int = 0, cost: int = 0) -> None:
        self.tokens = tokens
        self.cost = cost

    @classmethod
    def stored(cls, db: Database, account_id: str) -> AccountTotals:
        """The totals already in the ledger."""
        return cls(*usage.account_totals(db, account_id))

    def take(self, tokens: int, cost: int) -> bool:
        """Add these figures if the totals stay within the limits; returns whether they were added."""
        if self.tokens + tokens > MAX_TOKENS or self.cost + cost > MAX_MICROS:
            return False
        self.tokens += tokens
        self.cost += cost
        return True


def moves_totals(moves: Moves) -> tuple[int, int]:
    """All tokens and micro-USD in per-bucket figures (see ``log_entries.Moves``)."""
    tokens = cost = 0
    for m in moves.values():
        tokens += m[0] + m[1] + m[2] + m[3]
        cost += m[4]
    return tokens, cost


def admit(totals: AccountTotals, entries: list[Row], moves: Moves) -> tuple[list[Row], Moves, int]:
    """The entries (``log_entries`` rows) of one file that fit ``totals``, their bucket figures, and
    how many were rejected.  In the common case all fit and the figures are taken as they are."""
    if totals.take(*moves_totals(moves)):
        return entries, moves, 0
    kept = [r for r in entries if totals.take(r[6] + r[7] + r[8] + r[10], r[11] or 0)]
    return kept, add_moves({}, kept), len(entries) - len(kept)
