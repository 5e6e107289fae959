"""Spend queries for an allowance: what counts, summed over time segments, hours or days.

What counts is decided by :mod:`tokenwallet.ledger.spend_rules` (tokens, money, unpriced,
estimated); this module adds the scope:

* USD allowances sum money; local-log or manual rows that have tokens but no price are counted
  as *unpriced* so the meter can say so instead of showing a silent ``$0``.
* Token allowances sum the counted tokens (``api_cost`` and ``balance`` rows repeat tokens
  already counted elsewhere, so they are left out).
* Rows count when their account is in the allowance's scope (an empty scope means every
  enabled account that has not been removed) and, when given, their provider and model are
  among the scope's.  Rows with confidence ``estimated`` are reported separately.

Rows are placed by ``bucket_start``.  Every query here is a range scan on ``bucket_start`` so its
cost follows the length of the range asked for, not the size of the history.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from tokenwallet.domain.allowance import Allowance, SpendPoint, Unit
from tokenwallet.domain.errors import StoredValueError
from tokenwallet.ledger import spend_rules as rules
from tokenwallet.ledger.db import from_epoch, to_epoch


@dataclass(frozen=True, slots=True)
class SpendScope:
    """The SQL form of an allowance's scope: unit, accounts, providers and models."""

    unit: Unit
    accounts: tuple[str, ...]
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    def amount_sql(self) -> str:
        """The per-row amount expression in the allowance's unit."""
        return rules.MONEY if self.unit is Unit.USD else rules.TOKENS

    def where(self) -> tuple[str, list[Any]]:
        """Conditions (without the time range) and their parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        clauses.append(rules.HAS_MONEY if self.unit is Unit.USD else rules.COUNTS_TOKENS)
        for column, values in (("account_id", self.accounts), ("provider", self.providers), ("model", self.models)):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        if not self.accounts:
            clauses.append("0")  # no account in scope: nothing counts
        return " AND ".join(clauses), params


def scope_for(db: Database, allowance: Allowance) -> SpendScope:
    """Resolve the allowance's scope; an empty account list means every enabled, live account."""
    accounts = allowance.scope.accounts
    if not accounts:
        accounts = tuple(
            r[0] for r in db.execute("SELECT id FROM accounts WHERE enabled = 1 AND removed_at IS NULL ORDER BY id")
        )
    return SpendScope(allowance.unit, accounts, allowance.scope.providers, allowance.scope.models)


_ROLLUPS: tuple[tuple[int, str], ...] = ((86_400, "usage_daily"), (3_600, "usage_hourly"))
"""Rollup tables (see migration m002), coarsest first, with the length of their unit in seconds."""


def _epochs(marks: Sequence[datetime]) -> list[int]:
    epochs = [int(m.timestamp()) for m in marks]
    epochs[-1] += 1  # "now" is inclusive to the second: a row stamped this second counts
    return epochs


def pieces(low: int, high: int, *, raw: bool = False) -> list[tuple[str | None, int, int]]:
    """Cover ``[low, high)`` with whole UTC days, then whole hours, then raw rows at the edges.

    Returns ``(table, start, end)`` triples; ``table`` None means read ``usage`` row by row.
    """
    out: list[tuple[str | None, int, int]] = []

    def cover(lo: int, hi: int, levels: tuple[tuple[int, str], ...]) -> None:
        if lo >= hi:
            return
        if not levels:
            out.append((None, lo, hi))
            return
        (step, table), finer = levels[0], levels[1:]
        first, last = -(-lo // step) * step, hi - hi % step
        if first >= last:
            cover(lo, hi, finer)
            return
        out.append((table, first, last))
        cover(lo, first, finer)
        cover(last, hi, finer)

    cover(low, high, () if raw else _ROLLUPS)
    return out


def _rollup_where(scope: SpendScope) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, values in (("account_id", scope.accounts), ("provider", scope.providers)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if not scope.accounts:
        clauses.append("0")
    return " AND ".join(clauses), params


def _sum_pieces(db: Database, scope: SpendScope, low: int, high: int, *, raw: bool) -> dict[bool, int]:
    """Spend in ``[low, high)`` per confidence lane (True: estimated)."""
    totals: dict[bool, int] = {}
    raw_where, raw_params = scope.where()
    roll_where, roll_params = _rollup_where(scope)
    column = "cost_micros" if scope.unit is Unit.USD else "tokens"
    for table, start, end in pieces(low, high, raw=raw or bool(scope.models)):
        if table is None:
            sql = (
                f"SELECT {rules.IS_ESTIMATED}, SUM({scope.amount_sql()}) FROM usage "
                f"WHERE bucket_start >= ? AND bucket_start < ? AND {raw_where} GROUP BY 1"
            )
            params = raw_params
        else:
            sql = (
                f"SELECT estimated, SUM({column}) FROM {table} "
                f"WHERE start >= ? AND start < ? AND {roll_where} GROUP BY 1"
            )
            params = roll_params
        for est, total in db.execute(sql, [start, end, *params]).fetchall():
            totals[bool(est)] = totals.get(bool(est), 0) + int(total or 0)
    return totals


def segment_spend(db: Database, scope: SpendScope, marks: Sequence[datetime], *, raw: bool = False) -> list[SpendPoint]:
    """Spend summed over ``[marks[i], marks[i+1])``, one point per segment and confidence lane.

    The last mark is "now" and is inclusive to the second, so a row stamped this second counts.
    The point's ``at`` is the segment's start; estimated spend comes as separate points.  Whole
    UTC days and hours are read from the rollup tables and only the hours a mark cuts from
    ``usage``; scopes with a model filter, or ``raw=True``, read ``usage`` throughout.
    """
    if len(marks) < 2:
        return []
    points: list[SpendPoint] = []
    for seg, (low, high) in enumerate(itertools.pairwise(_epochs(marks))):
        for est, total in sorted(_sum_pieces(db, scope, low, high, raw=raw).items()):
            if total:
                points.append(SpendPoint(marks[seg], total, est))
    return points


def hourly_spend(
    db: Database, scope: SpendScope, start: datetime, end: datetime, *, raw: bool = False
) -> list[SpendPoint]:
    """Spend per UTC hour in ``[start, end)`` (estimated spend as separate points), oldest first.

    Whole hours come from the ``usage_hourly`` rollup (unless the scope filters by model or
    ``raw`` is set); the partial hours at either end are read from ``usage``.
    """
    totals: dict[tuple[int, bool], int] = {}
    raw_where, raw_params = scope.where()
    roll_where, roll_params = _rollup_where(scope)
    column = "cost_micros" if scope.unit is Unit.USD else "tokens"
    low, high = int(start.timestamp()), int(end.timestamp())
    levels = () if raw or scope.models else _ROLLUPS[1:]
    spans: list[tuple[str | None, int, int]] = []
    first, last = -(-low // 3600) * 3600, high - high % 3600
    if levels and first < last:
        spans = [(None, low, first), ("usage_hourly", first, last), (None, last, high)]
    else:
        spans = [(None, low, high)]
    for table, a, b in spans:
        if a >= b:
            continue
        if table is None:
            sql = (
                f"SELECT bucket_start / 3600, {rules.IS_ESTIMATED}, SUM({scope.amount_sql()}) FROM usage "
                f"WHERE bucket_start >= ? AND bucket_start < ? AND {raw_where} GROUP BY 1, 2"
            )
            params = raw_params
        else:
            sql = (
                f"SELECT start / 3600, estimated, SUM({column}) FROM {table} "
                f"WHERE start >= ? AND start < ? AND {roll_where} GROUP BY 1, 2"
            )
            params = roll_params
        for hour, est, total in db.execute(sql, [a, b, *params]).fetchall():
            totals[(hour, bool(est))] = totals.get((hour, bool(est)), 0) + int(total or 0)
    return [
        SpendPoint(from_epoch(hour * 3600), total, est)  # type: ignore[arg-type]
        for (hour, est), total in sorted(totals.items())
        if total
    ]


def unpriced_count(db: Database, scope: SpendScope, start: datetime, end: datetime, *, raw: bool = False) -> int:
    """Local-log and manual rows in ``[start, end]`` that have tokens but no price (USD scopes only)."""
    if scope.unit is not Unit.USD or not scope.accounts:
        return 0
    raw_clauses = [rules.IS_UNPRICED]
    raw_params: list[Any] = []
    for column, values in (("account_id", scope.accounts), ("provider", scope.providers), ("model", scope.models)):
        if values:
            raw_clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            raw_params.extend(values)
    roll_where, roll_params = _rollup_where(scope)
    low, high = _epochs([start, end])
    total = 0
    for table, a, b in pieces(low, high, raw=raw or bool(scope.models)):
        if table is None:
            where = " AND ".join(raw_clauses)
            sql = f"SELECT count(*) FROM usage WHERE bucket_start >= ? AND bucket_start < ? AND {where}"
            total += int(db.execute(sql, [a, b, *raw_params]).fetchone()[0])
        else:
            sql = f"SELECT COALESCE(SUM(unpriced_rows), 0) FROM {table} WHERE start >= ? AND start < ? AND {roll_where}"
            total += int(db.execute(sql, [a, b, *roll_params]).fetchone()[0])
    return total


def newest_records(
    db: Database,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    accounts: Sequence[str] = (),
    providers: Sequence[str] = (),
    limit: int = 100,
) -> list[tuple[Any, ...]]:
    """The newest ``limit`` usage rows (newest first) as raw tuples of :data:`LIST_COLUMNS`."""
    clauses = ["1=1"]
    params: list[Any] = []
    if since is not None:
        clauses.append("bucket_start >= ?")
        params.append(to_epoch(since))
    if until is not None:
        clauses.append("bucket_start < ?")
        params.append(to_epoch(until))
    for column, values in (("account_id", accounts), ("provider", providers)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    sql = (
        f"SELECT {', '.join(LIST_COLUMNS)} FROM usage WHERE {' AND '.join(clauses)} "
        "ORDER BY bucket_start DESC, id DESC LIMIT ?"
    )
    return list(db.execute(sql, [*params, limit]).fetchall())


LIST_COLUMNS: tuple[str, ...] = (
    "id",
    "account_id",
    "source",
    "confidence",
    "provider",
    "model",
    "bucket_start",
    "bucket_end",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "requests",
    "cost_micros",
    "currency",
)


@dataclass(frozen=True, slots=True)
class ModelSpend:
    """Spend of one provider and model over a time range, counted by the spend rules."""

    provider: str
    model: str
    requests: int
    tokens: int  # from the token sources only, as token allowances count them
    cost_micros: int | None  # None: no row had a price
    estimated: bool  # some row is an estimate (from local logs)
    unpriced: bool  # some local-log or manual row has tokens but no price


def model_spend(db: Database, since: datetime, until: datetime) -> list[ModelSpend]:
    """Spend per (provider, model) of rows starting in ``[since, until)``, balance rows left out.

    Costliest first, then by tokens, provider and model.  ``balance`` rows are account-level
    money (a provider's daily spend without models), so they stay out of a per-model table.
    A sum that overflows (a row stored out of bounds) is a :class:`StoredValueError`.
    """
    sql = (
        f"SELECT provider, model, SUM(requests), SUM({rules.COUNTED_TOKENS}), SUM({rules.MONEY}), "
        f"MAX({rules.IS_ESTIMATED}), MAX({rules.IS_UNPRICED}) "
        f"FROM usage WHERE bucket_start >= ? AND bucket_start < ? AND {rules.PER_MODEL} GROUP BY provider, model"
    )
    params = [to_epoch(since), to_epoch(until)]
    try:
        found = db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "overflow" not in str(exc):
            raise
        raise StoredValueError(
            "The spend per model adds up beyond what can be counted: a usage row holds an amount or token "
            "count out of range."
        ) from exc
    rows = [
        ModelSpend(provider, model, int(requests or 0), int(tokens or 0), cost, bool(est), bool(unpriced))
        for provider, model, requests, tokens, cost, est, unpriced in found
    ]
    return sorted(rows, key=lambda r: (-(r.cost_micros or 0), -r.tokens, r.provider, r.model))
