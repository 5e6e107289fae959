"""The counting rule: which usage counts in an allowance, per stream, confidence and time bucket.

Every usage row belongs to a *stream* (the account it was recorded for: an API or gateway account,
or an agent-log source) and has a confidence (billed, gateway, reported, estimated, subscription).
For one allowance and one time bucket:

1. **Lanes.** A row's lane is its confidence, except that the estimates of a stream declared a
   subscription (``account edit LOGS --subscription``) are subscription usage.
2. **What counts.** Billed, gateway, reported and estimated usage counts.  Subscription usage
   counts in token allowances; in a usd allowance its money is only an API-equivalent value and
   counts only when the allowance says so (``count_subscriptions``), else it is *excluded*.
3. **Cover.** A stream declared billed through another (``account edit LOGS --billed-by
   ACCOUNT``) is *covered* by it when both are in the allowance's scope: its estimates count only
   in buckets the covering account has not reported yet (the estimate bridges the billing lag);
   where the account has reported, they are *superseded* by the bill.
4. **Local days.** A daily UTC bucket is spread over its hours -- in proportion to the same day's
   hourly usage of the account (or of the streams billed through it) when known, else by the
   hours of overlap -- so periods and days in the user's zone get their share of it (see
   :func:`spread`).

So a figure is always the sum of its streams' counted amounts, and what was left out is kept per
stream as superseded or excluded (:class:`~tokenwallet.domain.meter.StreamFigure`).  The ledger
glue that reads the sums is :mod:`tokenwallet.ledger.counting`; this module is pure.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import msgspec

from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.meter import LinkSuggestion, SplitBucket, StreamFigure
from tokenwallet.domain.usage import Confidence

ESTIMATES: frozenset[Confidence] = frozenset({Confidence.ESTIMATED, Confidence.SUBSCRIPTION})
"""Lanes shown apart as estimates (from logs or list prices; subscription value is an API equivalent)."""

LIST_PRICE = "list price"
"""The ``basis`` of money priced from the catalog because the bill has no model."""


class StreamRule(msgspec.Struct, frozen=True):
    """What the user declared about one stream (account)."""

    stream: str
    billed_by: str | None = None
    subscription: bool = False


class Rules(msgspec.Struct, frozen=True):
    """The counting rule of one allowance: its unit, whether it counts subscriptions, who covers whom."""

    unit: Unit
    count_subscriptions: bool = False
    subscription_streams: frozenset[str] = frozenset()
    covers: Mapping[str, str] = msgspec.field(default_factory=dict)
    """Covered stream -> the stream that covers it (both in the allowance's scope)."""
    list_priced: frozenset[str] = frozenset()
    """Streams whose estimated money is their usage at list price (the bill has no model)."""

    def lane(self, stream: str, confidence: str) -> Confidence:
        """The lane a row of ``stream`` with ``confidence`` counts in."""
        lane = Confidence(confidence)
        if lane is Confidence.ESTIMATED and stream in self.subscription_streams:
            return Confidence.SUBSCRIPTION
        return lane

    def counts(self, lane: Confidence) -> bool:
        """Whether usage of ``lane`` is spend in this allowance."""
        if lane is Confidence.SUBSCRIPTION:
            return self.unit is Unit.TOKENS or self.count_subscriptions
        return True

    def covering(self, stream: str, lane: Confidence) -> str | None:
        """The stream whose reported buckets supersede this stream's ``lane``, if any (estimates only)."""
        return self.covers.get(stream) if lane is Confidence.ESTIMATED else None


def rules_for(
    unit: Unit,
    streams: Iterable[StreamRule],
    in_scope: Iterable[str],
    *,
    count_subscriptions: bool = False,
    list_priced: Iterable[str] = (),
) -> Rules:
    """The :class:`Rules` of an allowance whose scope holds the streams ``in_scope``.

    A declared cover applies only when both streams are in the scope: an allowance that does not
    count the covering account keeps counting the estimates.
    """
    scope = frozenset(in_scope)
    declared = [s for s in streams if s.stream in scope]
    return Rules(
        unit=unit,
        count_subscriptions=count_subscriptions,
        subscription_streams=frozenset(s.stream for s in declared if s.subscription),
        covers={
            s.stream: s.billed_by
            for s in declared
            if s.billed_by and s.billed_by in scope and s.billed_by != s.stream and not s.subscription
        },
        list_priced=frozenset(list_priced) & scope,
    )


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching ``[start, end)`` spans merged, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip(spans: Iterable[tuple[int, int]], low: int, high: int) -> list[tuple[int, int]]:
    """The parts of ``spans`` inside ``[low, high)``."""
    return [(max(a, low), min(b, high)) for a, b in spans if max(a, low) < min(b, high)]


def _weight(start: int, end: int, weights: Mapping[int, int] | None) -> int:
    """Weight of ``[start, end)``: seconds of overlap, or hourly weights times their seconds of overlap."""
    if weights is None:
        return end - start
    total = 0
    hour = start - start % 3600
    while hour < end:
        w = weights.get(hour, 0)
        if w:
            total += w * (min(end, hour + 3600) - max(start, hour))
        hour += 3600
    return total


def spread(
    amount: int, start: int, end: int, cuts: Sequence[int], weights: Mapping[int, int] | None = None
) -> list[tuple[int, int, int]]:
    """Split ``amount`` of a bucket over ``[start, end)`` into the pieces between ``cuts``.

    Each piece gets a share in proportion to its weight: the hourly ``weights`` (UTC hour start ->
    weight, uniform within an hour) when they give the bucket any weight, else its length (the
    hours of overlap).  Returns ``(piece start, piece end, part)``; the parts are whole numbers
    that add up to ``amount`` exactly (largest remainders, earliest piece first on ties).
    """
    if end <= start:
        return [(start, end, amount)]
    bounds = [start, *sorted({c for c in cuts if start < c < end}), end]
    pieces = list(itertools.pairwise(bounds))
    used = weights if weights and _weight(start, end, weights) > 0 else None
    shares = [_weight(a, b, used) for a, b in pieces]
    total = sum(shares)
    sign, whole = (-1 if amount < 0 else 1), abs(amount)
    parts = [whole * s // total for s in shares]
    left = whole - sum(parts)
    order = sorted(range(len(pieces)), key=lambda i: (-(whole * shares[i] % total), i))
    for i in order[:left]:
        parts[i] += 1
    return [(a, b, sign * p) for (a, b), p in zip(pieces, parts, strict=True)]


class Tally(msgspec.Struct):
    """What each (stream, lane) counted, had superseded and had excluded, summed as buckets are decided."""

    rules: Rules
    counted: dict[tuple[str, Confidence], int] = msgspec.field(default_factory=dict)
    superseded: dict[tuple[str, Confidence], int] = msgspec.field(default_factory=dict)
    excluded: dict[tuple[str, Confidence], int] = msgspec.field(default_factory=dict)

    def add(self, stream: str, lane: Confidence, amount: int, *, superseded: int = 0) -> None:
        """Record ``amount`` of ``stream`` in ``lane`` of which ``superseded`` was replaced by the cover."""
        key = (stream, lane)
        if superseded:
            self.superseded[key] = self.superseded.get(key, 0) + superseded
        rest = amount - superseded
        if not rest:
            return
        target = self.counted if self.rules.counts(lane) else self.excluded
        target[key] = target.get(key, 0) + rest

    def figures(self) -> tuple[StreamFigure, ...]:
        """One :class:`StreamFigure` per (stream, lane) seen, by stream then lane."""
        keys = sorted({*self.counted, *self.superseded, *self.excluded}, key=lambda k: (k[0], k[1].value))
        rules = self.rules
        return tuple(
            StreamFigure(
                stream=stream,
                confidence=lane,
                counted=self.counted.get((stream, lane), 0),
                superseded=self.superseded.get((stream, lane), 0),
                excluded=self.excluded.get((stream, lane), 0),
                covered_by=rules.covering(stream, lane),
                basis=LIST_PRICE if lane is Confidence.ESTIMATED and stream in rules.list_priced else "",
            )
            for stream, lane in keys
        )


CONTAINED_SHARE = 0.9
"""Share of a log source's tokens (on days an account reported) that must be contained in the
account's tokens for the same model and day before the link is suggested."""


def suggest_links(
    logs: Mapping[str, Mapping[tuple[date, str], int]],
    accounts: Mapping[str, Mapping[tuple[date, str], int]],
    candidates: Mapping[str, Sequence[str]],
) -> list[LinkSuggestion]:
    """Agent-log sources whose usage looks billed through an API account.

    ``logs`` and ``accounts`` give tokens per (UTC day, model) of each log source and API account;
    ``candidates`` the accounts each log source could be billed through (same provider).  On the
    days an account reported anything, a log source's (day, model) tokens are *contained* when the
    account reported at least as many for the same model and day.  When at least
    :data:`CONTAINED_SHARE` of those log tokens are contained, the best such account is suggested.
    """
    found: list[LinkSuggestion] = []
    for source, by_key in sorted(logs.items()):
        best: LinkSuggestion | None = None
        for account in candidates.get(source, ()):
            reported = accounts.get(account, {})
            days = {d for d, _ in reported}
            compared = [(d, m, t) for (d, m), t in by_key.items() if d in days and t > 0]
            total = sum(t for _, _, t in compared)
            inside = [(d, t) for d, m, t in compared if t <= reported.get((d, m), 0)]
            tokens = sum(t for _, t in inside)
            if not inside or tokens < CONTAINED_SHARE * total:
                continue
            candidate = LinkSuggestion(source, account, len({d for d, _ in inside}), tokens)
            if best is None or (candidate.tokens, candidate.days) > (best.tokens, best.days):
                best = candidate
        if best is not None:
            found.append(best)
    return found


def explain(unit: Unit, streams: Sequence[StreamFigure], splits: Sequence[SplitBucket]) -> tuple[str, ...]:
    """How the period's figure was arrived at where it is not plain, one sentence each."""
    from tokenwallet.budget.inputs import format_amount

    notes: list[str] = []
    for f in streams:
        if f.superseded and f.covered_by:
            notes.append(
                f"{f.stream} is billed through {f.covered_by}: {format_amount(f.superseded, unit)} of its estimates "
                f"were replaced by what {f.covered_by} reported; {format_amount(f.counted, unit)} for the time "
                "it has not reported yet counts as an estimate."
            )
        if f.excluded:
            notes.append(
                f"{f.stream}: {format_amount(f.excluded, unit)} is the API-equivalent value of subscription usage, "
                "not counted as spend (the allowance does not count subscriptions)."
            )
        if f.basis == LIST_PRICE and f.counted:
            notes.append(
                f"{f.stream}: the bill has no model, so {format_amount(f.counted, unit)} is the model's usage "
                "priced at list price (an estimate)."
            )
    for s in splits:
        notes.append(
            f"The {s.day.isoformat()} UTC daily bucket of {s.stream} ({format_amount(s.amount, unit)}) is split at "
            f"the period start by {s.by}: {format_amount(s.in_period, unit)} counts in this period."
        )
    return tuple(notes)
