"""Spend queries for an allowance's scope: amounts per stream, confidence and day-bucket flag.

What counts as tokens, money, unpriced and estimated is :mod:`tokenwallet.ledger.spend_rules`;
this module adds the scope and reads the sums the counting rule
(:mod:`tokenwallet.ledger.counting`) works with:

* USD scopes sum money; token scopes sum the counted tokens (``api_cost`` and ``balance`` rows
  repeat tokens already counted elsewhere, so they are left out).
* Rows count when their account is in the allowance's scope (an empty scope means every enabled
  account that has not been removed) and, when given, their provider and model are among the
  scope's.
* A USD scope with models cannot read them from a bill that has no model dimension (OpenAI's
  costs): for such accounts (``list_priced``) the usage rows' tokens count, at the list price the
  poll recorded with them (``extra.list_cost_micros``), as estimates.
* Amounts come per :data:`Key` -- (account, confidence, day bucket) -- so the counting rule can
  decide per stream and confidence, and split daily UTC buckets.

Rows are placed by ``bucket_start``.  Every query here is a range scan on ``bucket_start`` so its
cost follows the length of the range asked for, not the size of the history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from tokenwallet.domain.accounts import AccountKind
from tokenwallet.domain.allowance import Allowance, Unit
from tokenwallet.domain.errors import StoredValueError
from tokenwallet.ledger import spend_rules as rules
from tokenwallet.ledger.db import to_epoch

Key = tuple[str, str, int]
"""(account id, confidence, 1 for a day bucket else 0): what amounts are summed by."""

BILLS_WITHOUT_MODEL: frozenset[AccountKind] = frozenset({AccountKind.OPENAI})
"""Account kinds whose billed money has no model dimension (OpenAI's costs endpoint)."""

LIST_COST = "json_extract(extra, '$.list_cost_micros')"
"""The list-price value a poll recorded with a usage row of a bill without models (micro-USD)."""


def _marks(n: int) -> str:
    return ", ".join("?" * n)


if TYPE_CHECKING:
    from sqlite_utils import Database


class SpendScope(msgspec.Struct, frozen=True):
    """The SQL form of an allowance's scope: unit, accounts, providers, models.

    ``list_priced`` are the accounts in scope whose bill has no model: with models in a USD scope,
    their usage rows count at the list price recorded with them (confidence ``estimated``).
    """

    unit: Unit
    accounts: tuple[str, ...]
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    list_priced: tuple[str, ...] = ()

    @property
    def by_list_price(self) -> bool:
        """Whether some rows count at list price (a USD scope with models and a bill without models)."""
        return self.unit is Unit.USD and bool(self.models) and bool(self.list_priced)

    def amount_sql(self) -> str:
        """The per-row amount expression in the allowance's unit."""
        if self.unit is Unit.TOKENS:
            return rules.TOKENS
        if self.by_list_price:
            return f"COALESCE({rules.MONEY}, {LIST_COST})"
        return rules.MONEY

    def confidence_sql(self) -> str:
        """The per-row confidence: a usage row counted at list price is an estimate."""
        if self.by_list_price:
            return f"CASE WHEN {rules.MONEY} IS NULL THEN '{rules.ESTIMATED}' ELSE confidence END"
        return "confidence"

    def _list_priced_usage(self) -> tuple[str, list[Any]]:
        return (
            f"(source = 'api_usage' AND account_id IN ({_marks(len(self.list_priced))}))",
            list(self.list_priced),
        )

    def where(self, accounts: Sequence[str] | None = None) -> tuple[str, list[Any]]:
        """Conditions (without the time range) and their parameters; ``accounts`` narrows the scope."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.unit is Unit.TOKENS:
            clauses.append(rules.COUNTS_TOKENS)
        elif self.by_list_price:
            usage_sql, usage_params = self._list_priced_usage()
            clauses.append(f"({rules.HAS_MONEY} OR {usage_sql})")
            params.extend(usage_params)
        else:
            clauses.append(rules.HAS_MONEY)
        chosen = self.accounts if accounts is None else tuple(a for a in accounts if a in self.accounts)
        for column, values in (("account_id", chosen), ("provider", self.providers), ("model", self.models)):
            if values:
                clauses.append(f"{column} IN ({_marks(len(values))})")
                params.extend(values)
        if not chosen:
            clauses.append("0")  # no account in scope: nothing counts
        return " AND ".join(clauses), params

    def rollup_where(self, accounts: Sequence[str] | None = None) -> tuple[str, list[Any]]:
        """Conditions on a rollup table (which has no model); ``accounts`` narrows the scope."""
        clauses: list[str] = []
        params: list[Any] = []
        chosen = self.accounts if accounts is None else tuple(a for a in accounts if a in self.accounts)
        for column, values in (("account_id", chosen), ("provider", self.providers)):
            if values:
                clauses.append(f"{column} IN ({_marks(len(values))})")
                params.extend(values)
        if not chosen:
            clauses.append("0")
        return " AND ".join(clauses), params

    @property
    def column(self) -> str:
        """The rollup column holding the allowance's unit."""
        return "cost_micros" if self.unit is Unit.USD else "tokens"

    @property
    def reads_rows(self) -> bool:
        """Whether the scope must read ``usage`` row by row (the rollups have no model)."""
        return bool(self.models)


def scope_for(db: Database, allowance: Allowance) -> SpendScope:
    """Resolve the allowance's scope; an empty account list means every enabled, live account.

    A usd allowance backed by a gateway account *is* that gateway's budget: its spend, burn rate and
    forecast all come from the backing account's rows (its gateway history), whatever else the scope
    names, so they agree with the server's figure the status takes its spend from.
    """
    accounts = allowance.scope.accounts
    if allowance.backing_account_id and allowance.unit is Unit.USD:
        accounts = (allowance.backing_account_id,)
    if not accounts:
        accounts = tuple(
            r[0] for r in db.execute("SELECT id FROM accounts WHERE enabled = 1 AND removed_at IS NULL ORDER BY id")
        )
    list_priced: tuple[str, ...] = ()
    if allowance.unit is Unit.USD and allowance.scope.models and accounts:
        kinds = tuple(k.value for k in BILLS_WITHOUT_MODEL)
        list_priced = tuple(
            r[0]
            for r in db.execute(
                f"SELECT id FROM accounts WHERE id IN ({_marks(len(accounts))}) AND kind IN ({_marks(len(kinds))}) "
                "ORDER BY id",
                [*accounts, *kinds],
            )
        )
    return SpendScope(allowance.unit, accounts, allowance.scope.providers, allowance.scope.models, list_priced)


_ROLLUPS: tuple[tuple[int, str], ...] = ((86_400, "usage_daily"), (3_600, "usage_hourly"))
"""Rollup tables (see migration m005), coarsest first, with the length of their unit in seconds."""


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


def amounts(
    db: Database, scope: SpendScope, low: int, high: int, *, raw: bool = False, accounts: Sequence[str] | None = None
) -> dict[Key, int]:
    """Spend of rows starting in ``[low, high)`` per (account, confidence, day bucket).

    Whole UTC days and hours come from the rollups, the rest from ``usage``; scopes with models,
    or ``raw=True``, read ``usage`` throughout.  ``accounts`` narrows the scope to some accounts.
    """
    totals: dict[Key, int] = {}
    raw_where, raw_params = scope.where(accounts)
    roll_where, roll_params = scope.rollup_where(accounts)
    for table, start, end in pieces(low, high, raw=raw or scope.reads_rows):
        if table is None:
            sql = (
                f"SELECT account_id, {scope.confidence_sql()}, {rules.DAY_BUCKET}, SUM({scope.amount_sql()}) "
                f"FROM usage WHERE bucket_start >= ? AND bucket_start < ? AND {raw_where} GROUP BY 1, 2, 3"
            )
            params = raw_params
        else:
            sql = (
                f"SELECT account_id, confidence, day_bucket, SUM({scope.column}) FROM {table} "
                f"WHERE start >= ? AND start < ? AND {roll_where} GROUP BY 1, 2, 3"
            )
            params = roll_params
        for account, confidence, day, total in db.execute(sql, [start, end, *params]).fetchall():
            if total:
                key = (account, confidence, int(day))
                totals[key] = totals.get(key, 0) + int(total)
    return totals


def hourly_amounts(
    db: Database,
    scope: SpendScope,
    low: int,
    high: int,
    *,
    raw: bool = False,
    accounts: Sequence[str] | None = None,
    by_account: bool = True,
) -> dict[tuple[int, str, str, int], int]:
    """Spend of rows starting in ``[low, high)`` per (UTC hour start, account, confidence, day bucket).

    Whole hours come from the ``usage_hourly`` rollup (unless the scope has models or ``raw`` is
    set); the partial hours at either end are read from ``usage``.  ``accounts`` narrows the scope;
    without ``by_account`` the accounts are summed together (account ``''``), which is much less to
    read when no stream is treated apart.
    """
    who = "account_id" if by_account else "''"
    totals: dict[tuple[int, str, str, int], int] = {}
    raw_where, raw_params = scope.where(accounts)
    roll_where, roll_params = scope.rollup_where(accounts)
    first, last = -(-low // 3600) * 3600, high - high % 3600
    if raw or scope.reads_rows or first >= last:
        spans: list[tuple[str | None, int, int]] = [(None, low, high)]
    else:
        spans = [(None, low, first), ("usage_hourly", first, last), (None, last, high)]
    for table, a, b in spans:
        if a >= b:
            continue
        if table is None:
            sql = (
                f"SELECT bucket_start - bucket_start % 3600, {who}, {scope.confidence_sql()}, "
                f"{rules.DAY_BUCKET}, SUM({scope.amount_sql()}) FROM usage "
                f"WHERE bucket_start >= ? AND bucket_start < ? AND {raw_where} GROUP BY 1, 2, 3, 4"
            )
            params = raw_params
        else:
            sql = (
                f"SELECT start, {who}, confidence, day_bucket, SUM({scope.column}) FROM {table} "
                f"WHERE start >= ? AND start < ? AND {roll_where} GROUP BY 1, 2, 3, 4"
            )
            params = roll_params
        for hour, account, confidence, day, total in db.execute(sql, [a, b, *params]).fetchall():
            if total:
                key = (int(hour), account, confidence, int(day))
                totals[key] = totals.get(key, 0) + int(total)
    return totals


def day_bucket_hours(db: Database, scope: SpendScope, low: int, high: int, *, raw: bool = False) -> list[int]:
    """The UTC hours in ``[low, high)`` in which day buckets of the scope's accounts start (rollup, or rows)."""
    if raw:
        where, params = scope.where()
        sql = (
            f"SELECT DISTINCT bucket_start - bucket_start % 3600 FROM usage "
            f"WHERE bucket_start >= ? AND bucket_start < ? AND {rules.DAY_BUCKET} AND {where} ORDER BY 1"
        )
    else:
        where, params = scope.rollup_where()
        sql = (
            f"SELECT DISTINCT start FROM usage_hourly "
            f"WHERE start >= ? AND start < ? AND day_bucket = 1 AND {where} ORDER BY 1"
        )
    return [int(r[0]) for r in db.execute(sql, [low, high, *params]).fetchall()]


class DayBucket(msgspec.Struct, frozen=True):
    """The summed amount of day buckets of one account and confidence with the same start and end.

    ``seen`` is when the newest of them was recorded: a bucket still filling holds the usage up to
    then, so it is spread over ``[start, min(end, seen))``.
    """

    account: str
    confidence: str
    start: int
    end: int
    amount: int
    seen: int

    @property
    def filled_until(self) -> int:
        """The end of the time the bucket's amount covers (its end, or when it was last recorded)."""
        return max(self.start + 1, min(self.end, self.seen))


def day_buckets(db: Database, scope: SpendScope, hours: Sequence[int]) -> list[DayBucket]:
    """The day buckets of the scope starting in the given UTC ``hours``, summed by (account, confidence, span)."""
    where, params = scope.where()
    found: list[DayBucket] = []
    sql = (
        f"SELECT account_id, {scope.confidence_sql()}, bucket_start, bucket_end, SUM({scope.amount_sql()}), "
        f"MAX(recorded_at) FROM usage WHERE bucket_start >= ? AND bucket_start < ? AND {rules.DAY_BUCKET} "
        f"AND {where} GROUP BY 1, 2, 3, 4"
    )
    for hour in hours:
        for account, confidence, start, end, total, seen in db.execute(sql, [hour, hour + 3600, *params]).fetchall():
            if total:
                found.append(DayBucket(account, confidence, int(start), int(end), int(total), int(seen)))
    return found


def hourly_profile(db: Database, accounts: Sequence[str], low: int, high: int) -> dict[int, int]:
    """Per UTC hour in ``[low, high)``: the hourly (not day-bucket) usage of ``accounts``, as weights.

    Tokens where the hours have tokens, else money: what a daily bucket of the same day is split by.
    """
    if not accounts:
        return {}
    rows = db.execute(
        f"SELECT start, SUM(tokens), SUM(cost_micros) FROM usage_hourly WHERE start >= ? AND start < ? "
        f"AND day_bucket = 0 AND account_id IN ({_marks(len(accounts))}) GROUP BY 1",
        [low, high, *accounts],
    ).fetchall()
    use_tokens = any(r[1] for r in rows)
    return {int(r[0]): int(r[1] if use_tokens else r[2]) for r in rows if (r[1] if use_tokens else r[2]) > 0}


def reported_spans(db: Database, scope: SpendScope, account: str, low: int, high: int) -> list[tuple[int, int]]:
    """The time ``account`` has reported in ``[low, high)``: each UTC day on which it has rows that count
    in the scope, up to when that day was last polled.

    A day counts whole once it was polled after it ended (the usual case: polls re-read the day
    before); the last two days with rows are read for when they were recorded, so a day still
    filling covers only ``[day, recorded_at)``.  A stream the account covers is replaced there.
    Whole days come from the daily rollup; scopes with models read the rows.
    """
    first = low - low % 86_400
    if scope.reads_rows:
        where, params = scope.where([account])
        found = db.execute(
            f"SELECT DISTINCT bucket_start - bucket_start % 86400 FROM usage WHERE account_id = ? "
            f"AND bucket_start >= ? AND bucket_start < ? AND {where} ORDER BY 1",
            [account, first, high, *params],
        ).fetchall()
    else:
        where, params = scope.rollup_where([account])
        found = db.execute(
            f"SELECT start FROM usage_daily WHERE start >= ? AND start < ? AND {where} "
            f"GROUP BY start HAVING SUM({scope.column}) != 0 ORDER BY 1",
            [first, high, *params],
        ).fetchall()
    days = [int(r[0]) for r in found]
    spans = [(day, day + 86_400) for day in days]
    raw_where, raw_params = scope.where([account])
    for i in range(max(0, len(spans) - 2), len(spans)):
        day = spans[i][0]
        seen = db.execute(
            f"SELECT MAX(recorded_at) FROM usage WHERE account_id = ? AND bucket_start >= ? AND bucket_start < ? "
            f"AND {raw_where}",
            [account, day, day + 86_400, *raw_params],
        ).fetchone()[0]
        if seen is not None:
            spans[i] = (day, max(day + 1, min(day + 86_400, int(seen))))
    return spans


def unpriced_rows(
    db: Database, scope: SpendScope, low: int, high: int, *, raw: bool = False
) -> dict[tuple[str, str], int]:
    """Rows starting in ``[low, high)`` that have tokens but no price, per (account, confidence); USD scopes only.

    Local-log and manual rows without money, and in a scope counted at list price the usage rows
    recorded without a list price.
    """
    if scope.unit is not Unit.USD or not scope.accounts:
        return {}
    condition = rules.IS_UNPRICED
    extra: list[Any] = []
    if scope.by_list_price:
        usage_sql, extra = scope._list_priced_usage()
        condition = f"({condition} OR ({usage_sql} AND {LIST_COST} IS NULL AND {rules.TOKENS} > 0))"
    clauses = [condition]
    params: list[Any] = list(extra)
    for column, values in (("account_id", scope.accounts), ("provider", scope.providers), ("model", scope.models)):
        if values:
            clauses.append(f"{column} IN ({_marks(len(values))})")
            params.extend(values)
    roll_where, roll_params = scope.rollup_where()
    found: dict[tuple[str, str], int] = {}
    for table, a, b in pieces(low, high, raw=raw or scope.reads_rows):
        if table is None:
            sql = (
                f"SELECT account_id, {scope.confidence_sql()}, count(*) FROM usage "
                f"WHERE bucket_start >= ? AND bucket_start < ? AND {' AND '.join(clauses)} GROUP BY 1, 2"
            )
            rows = db.execute(sql, [a, b, *params]).fetchall()
        else:
            sql = (
                f"SELECT account_id, confidence, SUM(unpriced_rows) FROM {table} "
                f"WHERE start >= ? AND start < ? AND {roll_where} GROUP BY 1, 2"
            )
            rows = db.execute(sql, [a, b, *roll_params]).fetchall()
        for account, confidence, count in rows:
            if count:
                found[(account, confidence)] = found.get((account, confidence), 0) + int(count)
    return found


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


class ModelSpend(msgspec.Struct, frozen=True):
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
