"""The counting rule applied to the ledger: spend of an allowance per segment or hour, stream by stream.

:mod:`tokenwallet.budget.counting` says what counts (lanes, covers, subscriptions, spreading daily
buckets); this module reads the sums it needs -- per (account, confidence, day bucket) from the
rollups or rows (:mod:`tokenwallet.ledger.spend`) -- and applies it:

* :func:`meter_for` -- the scope and the :class:`~tokenwallet.budget.counting.Rules` of an allowance;
* :func:`count_segments` -- spend between the moments the budget engine asks for (its spend
  points), with what each stream counted, had superseded or excluded in the period, and the daily
  buckets split at the period start;
* :func:`count_hours` -- spend per hour (split daily buckets spread over their hours), for days in
  the user's zone;
* :func:`overlap_suggestions` -- agent-log sources that look billed through an API account.

Cost: with no declared covers and no daily buckets cut by a moment, this is the rollup read of
before plus one small query per moment; each cover adds a read of the covering account's buckets
and of the covered stream inside them; each cut daily bucket one read of its day's hourly usage.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from tokenwallet.budget.counting import (
    ESTIMATES,
    Rules,
    StreamRule,
    Tally,
    clip,
    merge_spans,
    rules_for,
    spread,
    suggest_links,
)
from tokenwallet.domain.allowance import Allowance, SpendPoint, Unit
from tokenwallet.domain.meter import LinkSuggestion, SplitBucket, StreamFigure
from tokenwallet.domain.usage import Confidence
from tokenwallet.ledger import spend_rules
from tokenwallet.ledger.db import from_epoch
from tokenwallet.ledger.spend import (
    DayBucket,
    Key,
    SpendScope,
    amounts,
    day_bucket_hours,
    day_buckets,
    hourly_amounts,
    hourly_profile,
    reported_spans,
    scope_for,
    unpriced_rows,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

DAY = 86_400


class Meter(msgspec.Struct, frozen=True):
    """An allowance's scope and counting rule, plus which streams are billed through which account."""

    scope: SpendScope
    rules: Rules
    billed_through: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    """Account -> the streams declared billed through it (their hourly usage places its daily buckets)."""


def stream_rules(db: Database) -> list[StreamRule]:
    """Every declared stream rule (``billed_by`` or ``subscription``) of accounts that are not removed."""
    rows = db.execute(
        "SELECT id, billed_by, subscription FROM accounts WHERE removed_at IS NULL "
        "AND (billed_by IS NOT NULL OR subscription != 0) ORDER BY id"
    ).fetchall()
    return [StreamRule(r[0], r[1], bool(r[2])) for r in rows]


def meter_for(db: Database, allowance: Allowance, *, scope: SpendScope | None = None) -> Meter:
    """The counting setup of ``allowance`` (its resolved scope, unless given, and rules)."""
    scope = scope or scope_for(db, allowance)
    declared = stream_rules(db)
    return plain_meter(
        scope, declared, count_subscriptions=allowance.count_subscriptions and allowance.unit is Unit.USD
    )


def plain_meter(scope: SpendScope, declared: Sequence[StreamRule] = (), *, count_subscriptions: bool = False) -> Meter:
    """A :class:`Meter` for ``scope`` with the ``declared`` stream rules (none: rows count by confidence)."""
    billed: dict[str, list[str]] = defaultdict(list)
    for rule in declared:
        if rule.billed_by:
            billed[rule.billed_by].append(rule.stream)
    return Meter(
        scope=scope,
        rules=rules_for(
            scope.unit,
            declared,
            scope.accounts,
            count_subscriptions=count_subscriptions,
            list_priced=scope.list_priced,
        ),
        billed_through={k: tuple(v) for k, v in billed.items()},
    )


def _epochs(marks: Sequence[datetime]) -> list[int]:
    epochs = [int(m.timestamp()) for m in marks]
    epochs[-1] += 1  # "now" is inclusive to the second: a row stamped this second counts
    return epochs


def _profile(db: Database, meter: Meter, bucket: DayBucket) -> dict[int, int] | None:
    """Hourly weights for a daily bucket: its account's hourly usage that day, else its billed-through streams'."""
    for accounts in ((bucket.account,), meter.billed_through.get(bucket.account, ())):
        weights = hourly_profile(db, accounts, bucket.start, bucket.end)
        if weights:
            return weights
    return None


def _cut_buckets(db: Database, meter: Meter, cuts: Sequence[int], *, raw: bool) -> list[DayBucket]:
    """The daily buckets a moment in ``cuts`` falls inside (they must be split there)."""
    # One read of the (indexed, usually empty) day buckets around the moments.
    hours = day_bucket_hours(db, meter.scope, min(cuts) - DAY - 3600, max(cuts), raw=raw)
    hours = [h for h in hours if any(c - DAY - 3600 <= h < c for c in cuts)]
    if not hours:
        return []
    found = day_buckets(db, meter.scope, sorted(hours))
    return [b for b in found if any(b.start < c < b.end for c in cuts)]


def _segment_of(bounds: Sequence[int], at: int) -> int | None:
    """The index of the segment ``[bounds[i], bounds[i+1])`` holding ``at``, None when outside."""
    if at < bounds[0] or at >= bounds[-1]:
        return None
    lo, hi = 0, len(bounds) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if bounds[mid] <= at:
            lo = mid
        else:
            hi = mid
    return lo


def _gaps(spans: Sequence[tuple[int, int]], low: int, high: int) -> list[tuple[int, int]]:
    """The parts of ``[low, high)`` that ``spans`` (merged, in order) leave uncovered."""
    gaps: list[tuple[int, int]] = []
    at = low
    for a, b in spans:
        if a > at:
            gaps.append((at, a))
        at = max(at, b)
    if at < high:
        gaps.append((at, high))
    return gaps


def _covered(
    db: Database,
    meter: Meter,
    base: Sequence[dict[Key, int]],
    segments: Sequence[tuple[int, int]],
    *,
    raw: bool,
) -> list[dict[Key, int]]:
    """Per segment: the amounts of covered streams in the time their covering account has reported.

    A covering account usually has reported all but the last hours, so a segment's covered amount is
    read as the stream's whole amount in the segment (``base``, already read) less what lies in the
    gaps, or directly from the covered parts when those are fewer.  Only hourly (not daily) buckets
    of a covered stream are superseded: agent-log streams have no daily buckets.
    """
    out: list[dict[Key, int]] = [{} for _ in segments]
    rules = meter.rules
    low, high = segments[0][0], segments[-1][1]
    for stream, account in sorted(rules.covers.items()):
        spans = clip(merge_spans(reported_spans(db, meter.scope, account, low - DAY, high)), low, high)
        if not spans:
            continue
        for i, (lo, hi) in enumerate(segments):
            inside = clip(spans, lo, hi)
            if not inside:
                continue
            gaps = _gaps(inside, lo, hi)
            if len(gaps) <= len(inside):
                found = {k: v for k, v in base[i].items() if k[0] == stream}
                for a, b in gaps:
                    for key, amount in amounts(db, meter.scope, a, b, raw=raw, accounts=[stream]).items():
                        found[key] = found.get(key, 0) - amount
            else:
                found = {}
                for a, b in inside:
                    for key, amount in amounts(db, meter.scope, a, b, raw=raw, accounts=[stream]).items():
                        found[key] = found.get(key, 0) + amount
            for key, amount in found.items():
                if amount and not key[2] and rules.covering(key[0], rules.lane(key[0], key[1])) is not None:
                    out[i][key] = out[i].get(key, 0) + amount
    return out


class Counted(msgspec.Struct, frozen=True):
    """Spend between the moments asked for, decided by the counting rule.

    ``points`` are what the budget engine consumes (one per segment and estimated-or-not, at the
    segment's start); ``streams`` what each stream counted, had superseded or excluded from
    ``period_from`` on; ``splits`` the daily buckets split at ``period_from``.
    """

    points: list[SpendPoint]
    streams: tuple[StreamFigure, ...] = ()
    splits: tuple[SplitBucket, ...] = ()

    @property
    def superseded(self) -> int:
        """Everything superseded in the period."""
        return sum(f.superseded for f in self.streams)

    def subscription_value(self) -> int:
        """The API-equivalent value of subscription usage in the period (counted or excluded)."""
        return sum(f.counted + f.excluded for f in self.streams if f.confidence is Confidence.SUBSCRIPTION)


def count_segments(
    db: Database,
    meter: Meter,
    marks: Sequence[datetime],
    *,
    period_from: datetime | None = None,
    period_until: datetime | None = None,
    raw: bool = False,
) -> Counted:
    """Spend summed over ``[marks[i], marks[i+1])`` by the counting rule.

    The last mark is "now" and is inclusive to the second.  Stream figures sum the segments that
    start in ``[period_from, period_until)`` (no end: to the last mark).  Daily buckets a mark falls inside are
    spread over their hours and split there; covered streams' estimates in buckets their covering
    account reported are superseded; subscription usage that does not count is excluded.
    """
    if len(marks) < 2:
        return Counted([])
    bounds = _epochs(marks)
    segments = list(itertools.pairwise(bounds))
    base = [amounts(db, meter.scope, lo, hi, raw=raw) for lo, hi in segments]
    start = int(period_from.timestamp()) if period_from is not None else None
    until = int(period_until.timestamp()) if period_until is not None else bounds[-1]
    splits: list[SplitBucket] = []
    for bucket in _cut_buckets(db, meter, bounds[:-1], raw=raw):
        key = (bucket.account, bucket.confidence, 1)
        home = _segment_of(bounds, bucket.start)
        if home is not None:
            base[home][key] = base[home].get(key, 0) - bucket.amount
        weights = _profile(db, meter, bucket)
        parts = spread(bucket.amount, bucket.start, min(bucket.filled_until, bounds[-1]), bounds, weights)
        for a, _, part in parts:
            index = _segment_of(bounds, a)
            if index is not None:
                base[index][key] = base[index].get(key, 0) + part
        if start is not None and bucket.start < start < bucket.filled_until:
            splits.append(
                SplitBucket(
                    stream=bucket.account,
                    confidence=meter.rules.lane(bucket.account, bucket.confidence),
                    day=datetime.fromtimestamp(bucket.start, UTC).date(),
                    amount=bucket.amount,
                    in_period=sum(part for a, _, part in parts if a >= start),
                    by="hourly usage" if weights else "hours",
                )
            )
    covered = _covered(db, meter, base, segments, raw=raw) if meter.rules.covers else None
    tally = Tally(meter.rules)
    points: list[SpendPoint] = []
    for i, totals in enumerate(base):
        lanes: dict[bool, int] = {}
        in_period = start is not None and start <= segments[i][0] < until
        for key, amount in sorted(totals.items()):
            if not amount:
                continue
            lane = meter.rules.lane(key[0], key[1])
            gone = covered[i].get(key, 0) if covered is not None else 0
            if in_period:
                tally.add(key[0], lane, amount, superseded=gone)
            if meter.rules.counts(lane):
                estimated = lane in ESTIMATES
                lanes[estimated] = lanes.get(estimated, 0) + amount - gone
        for estimated, total in sorted(lanes.items()):
            if total:
                points.append(SpendPoint(marks[i], total, estimated))
    return Counted(points, tally.figures(), tuple(splits))


def count_hours(db: Database, meter: Meter, start: datetime, end: datetime, *, raw: bool = False) -> list[SpendPoint]:
    """Spend in ``[start, end)`` per UTC hour by the counting rule (estimates as separate points), oldest first.

    Daily buckets are spread over their hours (the part of one that began the day before ``start``
    included) at the start of each piece, never before ``start``; covered streams' estimates in
    buckets their covering account reported are left out, as is subscription usage that does
    not count.
    """
    low, high = int(start.timestamp()), int(end.timestamp())
    if low >= high:
        return []
    rules = meter.rules
    apart = bool(rules.covers or rules.subscription_streams)  # only then does the account matter per hour
    lanes: dict[tuple[int, bool], int] = defaultdict(int)
    decided: dict[tuple[str, str], bool | None] = {}  # (account, confidence) -> estimated; None: not counted

    def verdict(account: str, confidence: str) -> bool | None:
        if (account, confidence) not in decided:
            lane = rules.lane(account, confidence)
            decided[(account, confidence)] = (lane in ESTIMATES) if rules.counts(lane) else None
        return decided[(account, confidence)]

    day_hours = set(day_bucket_hours(db, meter.scope, low - DAY - 3600, low, raw=raw))
    for (hour, account, confidence, day), amount in hourly_amounts(
        db, meter.scope, low, high, raw=raw, by_account=apart
    ).items():
        if day:
            day_hours.add(hour)  # spread below
        elif (estimated := verdict(account, confidence)) is not None:
            lanes[(max(hour, low), estimated)] += amount
    for bucket in day_buckets(db, meter.scope, sorted(day_hours)) if day_hours else []:
        estimated = verdict(bucket.account, bucket.confidence)
        if bucket.start >= high or estimated is None:
            continue
        hours = range(bucket.start - bucket.start % 3600 + 3600, bucket.filled_until, 3600)
        until = min(bucket.filled_until, high)
        weights = _profile(db, meter, bucket)
        for a, _, part in spread(bucket.amount, bucket.start, bucket.filled_until, [*hours, low, until], weights):
            if low <= a < high:
                lanes[(a, estimated)] += part
    for stream, account in sorted(rules.covers.items()):
        spans = clip(merge_spans(reported_spans(db, meter.scope, account, low - DAY, high)), low, high)
        for a, b in spans:
            for (hour, acct, confidence, day), amount in hourly_amounts(
                db, meter.scope, a, b, raw=raw, accounts=[stream]
            ).items():
                if day or rules.covering(acct, rules.lane(acct, confidence)) is None:
                    continue
                if (estimated := verdict(acct, confidence)) is not None:
                    lanes[(max(hour, low), estimated)] -= amount
    return [
        SpendPoint(from_epoch(at), total, estimated)  # type: ignore[arg-type]
        for (at, estimated), total in sorted(lanes.items())
        if total
    ]


def count_unpriced(db: Database, meter: Meter, start: datetime, end: datetime, *, raw: bool = False) -> int:
    """Rows in ``[start, end]`` with tokens but no price, in lanes that count (USD allowances only)."""
    low, high = _epochs([start, end])
    found = unpriced_rows(db, meter.scope, low, high, raw=raw)
    return sum(
        n for (account, confidence), n in found.items() if meter.rules.counts(meter.rules.lane(account, confidence))
    )


SUGGESTION_DAYS = 14
"""How many days back :func:`overlap_suggestions` compares log tokens with accounts' reported tokens."""

LOG_PROVIDERS = {"claude-code": "anthropic", "codex": "openai", "gemini": "google"}
"""The provider whose API an agent-log source's requests go to."""


def overlap_suggestions(db: Database, now: datetime, *, days: int = SUGGESTION_DAYS) -> list[LinkSuggestion]:
    """Agent-log sources (neither billed through an account nor a subscription) whose tokens per
    model and day, over the last ``days`` days, are contained in an API account's reported tokens.

    Reads the usage rows of those days once, grouped by account, day and model.
    """
    accounts = db.execute(
        "SELECT id, kind, billed_by, subscription FROM accounts WHERE removed_at IS NULL AND enabled = 1"
    ).fetchall()
    logs = {r[0]: LOG_PROVIDERS[r[1]] for r in accounts if r[1] in LOG_PROVIDERS and not r[2] and not r[3]}
    api = {r[0]: r[1] for r in accounts if r[1] in ("anthropic", "openai")}
    candidates = {source: [a for a, kind in api.items() if kind == provider] for source, provider in logs.items()}
    candidates = {k: v for k, v in candidates.items() if v}
    if not candidates:
        return []
    wanted = sorted({*candidates, *itertools.chain.from_iterable(candidates.values())})
    high = int(now.timestamp()) + 1
    low = high - high % DAY - days * DAY
    rows = db.execute(
        f"SELECT account_id, (bucket_start - bucket_start % {DAY}) AS day, model, SUM({spend_rules.TOKENS}) "
        f"FROM usage WHERE bucket_start >= ? AND bucket_start < ? AND {spend_rules.COUNTS_TOKENS} "
        f"AND account_id IN ({', '.join('?' * len(wanted))}) GROUP BY 1, 2, 3",
        [low, high, *wanted],
    ).fetchall()
    tokens: dict[str, dict[tuple[date, str], int]] = defaultdict(dict)
    for account, day, model, total in rows:
        if model:
            tokens[account][(datetime.fromtimestamp(day, UTC).date(), model)] = int(total or 0)
    return suggest_links(
        {s: tokens.get(s, {}) for s in candidates},
        {a: tokens.get(a, {}) for a in wanted if a not in candidates},
        candidates,
    )


def segment_spend(db: Database, scope: SpendScope, marks: Sequence[datetime], *, raw: bool = False) -> list[SpendPoint]:
    """:func:`count_segments` of ``scope`` with no declared stream rules: the engine's spend points."""
    return count_segments(db, plain_meter(scope), marks, raw=raw).points


def hourly_spend(
    db: Database, scope: SpendScope, start: datetime, end: datetime, *, raw: bool = False
) -> list[SpendPoint]:
    """:func:`count_hours` of ``scope`` with no declared stream rules."""
    return count_hours(db, plain_meter(scope), start, end, raw=raw)


def unpriced_count(db: Database, scope: SpendScope, start: datetime, end: datetime, *, raw: bool = False) -> int:
    """:func:`count_unpriced` of ``scope`` with no declared stream rules."""
    return count_unpriced(db, plain_meter(scope), start, end, raw=raw)


class LedgerCount(msgspec.Struct, frozen=True):
    """What the meter counts in money over every enabled account in a range, and what it left out."""

    counted: int
    superseded: int
    subscription_value: int
    notes: tuple[str, ...]


def ledger_count(db: Database, start: datetime, end: datetime) -> LedgerCount:
    """Money counted in ``[start, end)`` over every enabled account by the counting rule (a report's total)."""
    from tokenwallet.budget.counting import explain

    accounts = tuple(
        r[0] for r in db.execute("SELECT id FROM accounts WHERE enabled = 1 AND removed_at IS NULL ORDER BY id")
    )
    meter = plain_meter(SpendScope(Unit.USD, accounts), stream_rules(db))
    if end <= start:
        return LedgerCount(0, 0, 0, ())
    counted = count_segments(db, meter, [start, end - timedelta(seconds=1)], period_from=start)
    return LedgerCount(
        counted=sum(p.amount for p in counted.points),
        superseded=counted.superseded,
        subscription_value=counted.subscription_value(),
        notes=explain(Unit.USD, counted.streams, ()),
    )
