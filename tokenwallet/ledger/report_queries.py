"""SQL aggregations for the monthly report: GROUP BY in SQLite over the month's rows only.

Days are the user's calendar days: the caller passes the local midnights as Unix seconds and a
row lands on the day its bucket starts in.  What counts as tokens, money and unpriced is
:mod:`tokenwallet.ledger.spend_rules` (the same rules as the meter and the rollups): tokens only
from rows that carry token usage, so that a provider's separate cost rows do not count the same
tokens twice; money from every row that has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tokenwallet.ledger import spend_rules as rules

if TYPE_CHECKING:
    from sqlite_utils import Database

GROUP_COLUMNS = ("account_id", "project", "api_key", "workspace")


@dataclass(frozen=True, slots=True)
class DayRow:
    """One (day index, provider, model, confidence) aggregate."""

    day_index: int
    provider: str
    model: str
    confidence: str
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    requests: int
    cost_micros: int | None
    unpriced_rows: int
    rows: int
    split: bool = False  # a share of daily UTC buckets split across local days


@dataclass(frozen=True, slots=True)
class GroupRow:
    """Totals for one value of an account/tag column."""

    column: str
    value: str
    cost_micros: int
    tokens: int
    requests: int
    rows: int


def _local_day_sql(offsets: Sequence[tuple[int, int]]) -> tuple[str, list[int]]:
    """SQL for the local day number of ``bucket_start`` (Unix days of local wall time).

    ``offsets`` lists (from Unix time, UTC offset in seconds) in time order; a month has one to
    three (the DST changes).  Local midnight plus its offset is always a whole number of days, so
    integer division by 86400 gives the local calendar day without a join.
    """
    params: list[int] = []
    branches = []
    for since, offset in reversed(offsets[1:]):
        branches.append("WHEN bucket_start >= ? THEN ?")
        params.extend((since, offset))
    case = f"CASE {' '.join(branches)} ELSE ? END" if branches else "?"
    params.append(offsets[0][1])
    return f"((bucket_start + {case}) / 86400)", params


def usage_by_day(db: Database, start: int, end: int, offsets: Sequence[tuple[int, int]]) -> list[DayRow]:
    """Aggregates by local day x provider x model x confidence for rows starting in ``[start, end)``.

    ``day_index`` counts from the local day of ``start`` (0 is the first day).  Daily UTC buckets
    are left out: :func:`split_day_buckets` places them.
    """
    day, params = _local_day_sql(offsets)
    first_day = (start + offsets[0][1]) // 86400
    tok = {
        c: rules.counted(c)
        for c in ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens")
    }
    sql = f"""
        SELECT {day} - ?, provider, model, confidence,
               SUM({tok["input_tokens"]}), SUM({tok["cached_input_tokens"]}), SUM({tok["cache_write_tokens"]}),
               SUM({tok["output_tokens"]}), SUM({tok["reasoning_tokens"]}), SUM(requests),
               SUM({rules.MONEY}), SUM({rules.UNPRICED_FLAG}), COUNT(*)
        FROM usage
        WHERE bucket_start >= ? AND bucket_start < ? AND NOT ({rules.DAY_BUCKET})
        GROUP BY 1, 2, 3, 4
    """
    rows = db.execute(sql, [*params, first_day, start, end]).fetchall()
    return [DayRow(*r) for r in rows]


_SPLIT_COLUMNS = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens")


@dataclass(frozen=True, slots=True)
class SplitSummary:
    """What :func:`split_day_buckets` did: buckets split by hourly usage or by hours, per provider."""

    by_hourly_usage: dict[str, int]
    by_hours: dict[str, int]
    money: int  # the part of the split buckets' money that falls in the range


def split_day_buckets(db: Database, bounds: Sequence[int]) -> tuple[list[DayRow], SplitSummary]:
    """Daily UTC buckets overlapping ``[bounds[0], bounds[-1])`` split across the local days ``bounds`` delimit.

    ``bounds`` are the local midnights (Unix seconds) of the days and of the day after.  Each bucket
    is spread over ``[bucket_start, min(bucket_end, recorded_at))`` in proportion to the same day's
    hourly usage of its account (or of the streams billed through it) when known, else by the hours
    of overlap (:func:`tokenwallet.budget.counting.spread`); tokens, requests and money are split
    alike, each adding up exactly.  A bucket's row counts once, on the day with its largest share.
    """
    from tokenwallet.budget.counting import spread
    from tokenwallet.ledger.spend import hourly_profile

    start, end = bounds[0], bounds[-1]
    tok = ", ".join(f"SUM({rules.counted(c)})" for c in _SPLIT_COLUMNS)
    found = db.execute(
        f"""
        SELECT account_id, bucket_start, bucket_end, MAX(recorded_at), provider, model, confidence, {tok},
               SUM(requests), SUM({rules.MONEY}), SUM({rules.UNPRICED_FLAG}), COUNT(*)
        FROM usage WHERE bucket_start >= ? AND bucket_start < ? AND {rules.DAY_BUCKET}
        GROUP BY 1, 2, 3, 5, 6, 7
        """,
        [start - 86_400, end],
    ).fetchall()
    billed: dict[str, list[str]] = {}
    for stream, account in db.execute("SELECT id, billed_by FROM accounts WHERE billed_by IS NOT NULL"):
        billed.setdefault(account, []).append(stream)
    out: list[DayRow] = []
    summary = SplitSummary({}, {}, 0)
    for account, b_start, b_end, seen, provider, model, confidence, *values in found:
        until = max(b_start + 1, min(b_end, seen))
        if until <= start:
            continue
        weights = hourly_profile(db, [account], b_start, b_end) or hourly_profile(
            db, billed.get(account, []), b_start, b_end
        )
        cuts = [b for b in bounds if b_start < b < until]
        *amounts, money, unpriced, count = values
        parts = [spread(int(v or 0), b_start, until, cuts, weights or None) for v in amounts]
        money_parts = spread(int(money), b_start, until, cuts, weights or None) if money is not None else None
        shares = spread(1_000_000, b_start, until, cuts, weights or None)
        home = max(range(len(shares)), key=lambda i: (shares[i][2], -i))
        tally = summary.by_hourly_usage if weights else summary.by_hours
        tally[provider] = tally.get(provider, 0) + 1
        for i, (a, _, _) in enumerate(parts[0]):
            if not start <= a < end:
                continue
            day = next(j for j in range(len(bounds) - 1) if bounds[j] <= a < bounds[j + 1])
            cost = money_parts[i][2] if money_parts is not None else None
            if cost is not None:
                summary = SplitSummary(summary.by_hourly_usage, summary.by_hours, summary.money + cost)
            inp, cached, write, output, reasoning, requests = (p[i][2] for p in parts)
            out.append(
                DayRow(
                    day_index=day,
                    provider=provider,
                    model=model,
                    confidence=confidence,
                    input_tokens=inp,
                    cached_input_tokens=cached,
                    cache_write_tokens=write,
                    output_tokens=output,
                    reasoning_tokens=reasoning,
                    requests=requests,
                    cost_micros=cost,
                    unpriced_rows=unpriced if i == home else 0,
                    rows=count if i == home else 0,
                    split=True,
                )
            )
    return out, summary


def group_totals(db: Database, start: int, end: int) -> list[GroupRow]:
    """Totals by account and by each tag (project, api key, workspace); empty tag values left out."""
    tokens = rules.COUNTED_TOKENS
    parts = []
    for column in GROUP_COLUMNS:
        skip_empty = "" if column == "account_id" else f"AND {column} != ''"
        parts.append(
            f"SELECT '{column}', {column}, COALESCE(SUM({rules.MONEY}), 0), SUM({tokens}), SUM(requests), COUNT(*) "
            f"FROM usage WHERE bucket_start >= ? AND bucket_start < ? {skip_empty} GROUP BY {column}"
        )
    sql = " UNION ALL ".join(parts) + " ORDER BY 1, 3 DESC, 2"
    params: list[Any] = [start, end] * len(GROUP_COLUMNS)
    return [GroupRow(*r) for r in db.execute(sql, params).fetchall()]


def daily_bucket_providers(db: Database, start: int, end: int) -> list[tuple[str, int]]:
    """Providers with rows a day or longer (UTC daily buckets) in the range, with their row counts."""
    sql = (
        "SELECT provider, COUNT(*) FROM usage WHERE bucket_start >= ? AND bucket_start < ? "
        "AND bucket_end - bucket_start >= 86400 GROUP BY provider ORDER BY provider"
    )
    return [(r[0], r[1]) for r in db.execute(sql, [start, end]).fetchall()]


def cost_total(db: Database, start: int, end: int) -> tuple[int, int]:
    """Plain sum of ``cost_micros`` and row count in the range (the reconciliation figure)."""
    row = db.execute(
        "SELECT COALESCE(SUM(cost_micros), 0), COUNT(*) FROM usage WHERE bucket_start >= ? AND bucket_start < ?",
        [start, end],
    ).fetchone()
    return int(row[0]), int(row[1])
