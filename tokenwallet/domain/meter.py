"""Values that explain a meter figure: what each stream counted, what was left out, and why.

The counting rule itself is :mod:`tokenwallet.budget.counting`; these are the values it produces
and :class:`~tokenwallet.domain.allowance.AllowanceStatus` carries, so every front-end can say how
a figure was arrived at.  Amounts are in the allowance's unit (micro-USD or tokens).
"""

from __future__ import annotations

from datetime import date

import msgspec

from tokenwallet.domain.usage import Confidence


class StreamFigure(msgspec.Struct, frozen=True):
    """What one stream (an account or an agent-log source) of one confidence did in a period.

    ``counted`` is part of the allowance's spend.  ``superseded`` was left out because the stream
    ``covered_by`` reported the same buckets (its bill replaces the estimate).  ``excluded`` was
    left out because it is subscription usage, which a money allowance does not count unless told
    to (its API-equivalent value).  ``basis`` says how money was arrived at when it is not the
    row's own (``"list price"``: tokens priced from the catalog because the bill has no model).
    """

    stream: str
    confidence: Confidence
    counted: int
    superseded: int = 0
    excluded: int = 0
    covered_by: str | None = None
    basis: str = ""

    @property
    def total(self) -> int:
        """Everything the stream recorded: counted, superseded and excluded."""
        return self.counted + self.superseded + self.excluded


class SplitBucket(msgspec.Struct, frozen=True):
    """A daily UTC bucket that straddles the period start and was split across it.

    ``amount`` is the whole bucket, ``in_period`` the part placed after the period start; ``by`` is
    ``"hourly usage"`` (in proportion to the same day's hourly usage) or ``"hours"`` (by the hours
    of overlap).
    """

    stream: str
    confidence: Confidence
    day: date
    amount: int
    in_period: int
    by: str


class LinkSuggestion(msgspec.Struct, frozen=True):
    """An agent-log source whose usage looks billed through an API account (not linked yet).

    On each of ``days`` days the source's tokens per model were contained in the account's
    reported tokens for the same model and day; ``tokens`` is how many log tokens that covers.
    """

    logs: str
    account: str
    days: int
    tokens: int
