"""What the gateway connectors (LiteLLM, OpenRouter) share: running-counter history and day rows.

A gateway without a history endpoint for the key reports only a running counter (LiteLLM's key
``spend``, OpenRouter's key ``usage``).  Its history is then the counter's differences between
polls: what was spent between two polls is attributed to the time between them, in pieces cut at
UTC midnights (each piece gets a share in proportion to its length, whole micro-dollars that add
up to the difference exactly), so no row spans more than one UTC day and the meter can place each
on local days.  A day is never written as one row per poll: each row covers only the time since
the poll before.

Rows are ``balance``-source money of kind :data:`COUNTER` with confidence *gateway*.  Their keys
start with the previous poll's time, so a poll repeated from the same cursor (a crash before the
cursor was saved) rewrites the same rows instead of adding.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from tokenwallet.domain.usage import Confidence, Source, UsageRecord

COUNTER = "counter"
"""The ``kind`` of money rows made from a running counter."""
ACTIVITY = "activity"
"""The ``kind`` of per-day, per-model rows read from a gateway's history endpoint."""
DAY = 86_400
MAX_BACKFILL_DAYS = 400
"""Longest span a first poll spreads a counter over (older spend is left out of the history)."""


def cuts(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut at UTC midnights into pieces of at most one day."""
    pieces: list[tuple[datetime, datetime]] = []
    at = start
    while at < end:
        midnight = datetime.fromtimestamp(int(at.timestamp()) // DAY * DAY + DAY, UTC)
        pieces.append((at, min(midnight, end)))
        at = midnight
    return pieces


def spread(amount: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime, int]]:
    """``amount`` (micro-USD) over ``[start, end)`` in pieces cut at UTC midnights, in proportion to their
    length; whole numbers that add up to ``amount`` (largest remainders, earliest piece first on ties)."""
    pieces = cuts(start, end)
    if not pieces:
        return []
    lengths = [int((b - a).total_seconds()) or 1 for a, b in pieces]
    total = sum(lengths)
    parts = [amount * n // total for n in lengths]
    order = sorted(range(len(pieces)), key=lambda i: (-(amount * lengths[i] % total), i))
    for i in order[: amount - sum(parts)]:
        parts[i] += 1
    return [(a, b, part) for (a, b), part in zip(pieces, parts, strict=True)]


def counter_rows(
    account_id: str, provider: str, label: str, pieces: list[tuple[datetime, datetime, int]]
) -> list[UsageRecord]:
    """One ``balance`` row of gateway money per piece with money; keys ``counter|<label>|<piece start>``."""
    return [
        UsageRecord(
            account_id=account_id,
            source=Source.BALANCE,
            key=f"{COUNTER}|{label}|{int(a.timestamp())}",
            bucket_start=a,
            bucket_end=b,
            provider=provider,
            confidence=Confidence.GATEWAY,
            cost_micros=part,
            kind=COUNTER,
        )
        for a, b, part in pieces
        if part
    ]


def since_last_poll(
    account_id: str,
    provider: str,
    before: tuple[int, datetime],
    now: datetime,
    counter: int,
    *,
    today: int | None = None,
) -> list[UsageRecord]:
    """The rows of what a counter rose by since the poll ``before`` (its value and time).

    A counter that fell was reset (a budget period began): what it holds now was spent since.
    ``today``, when the gateway reports it (the key's spend so far this UTC day), places the part
    of the rise after midnight exactly; the rest is spread over the time before midnight.
    """
    value, at = before
    rise = counter - value if counter >= value else counter
    if rise <= 0 or now <= at:
        return []
    midnight = datetime.fromtimestamp(int(now.timestamp()) // DAY * DAY, UTC)
    pieces: list[tuple[datetime, datetime, int]]
    if today is not None and at < midnight:
        after = min(max(today, 0), rise)
        pieces = [*spread(rise - after, at, midnight), (midnight, now, after)]
    else:
        pieces = spread(rise, at, now)
    return counter_rows(account_id, provider, str(int(at.timestamp())), pieces)


def backfill(
    account_id: str, provider: str, parts: list[tuple[datetime, datetime, int]], now: datetime
) -> list[UsageRecord]:
    """Rows for what a counter held at the first poll: each ``(start, end, amount)`` spread over its days.

    Spans are clipped to :data:`MAX_BACKFILL_DAYS` before ``now`` (spend before that is not history the
    meter needs), their amounts scaled down with them.
    """
    earliest = now - timedelta(days=MAX_BACKFILL_DAYS)
    pieces: list[tuple[datetime, datetime, int]] = []
    for start, end, amount in parts:
        if amount <= 0 or end <= start:
            continue
        if start < earliest:
            kept = int((end - earliest).total_seconds())
            amount = amount * max(kept, 0) // int((end - start).total_seconds())
            start = earliest
        pieces.extend(spread(amount, start, end))
    return counter_rows(account_id, provider, "backfill", pieces)


def last_counter(cursor: Mapping[str, object]) -> tuple[int, datetime] | None:
    """The counter value and time a cursor remembers (None on a first poll, or a cursor of an older version)."""
    value, at = cursor.get("counter"), cursor.get("counter_at")
    if isinstance(value, int) and not isinstance(value, bool) and isinstance(at, int) and not isinstance(at, bool):
        try:
            return value, datetime.fromtimestamp(at, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None
