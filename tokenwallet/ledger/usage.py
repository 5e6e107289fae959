"""Usage rows: idempotent upserts from connectors and imports, and the queries that read them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.ledger.db import dumps, from_epoch, insert_rows, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database

COLUMNS: tuple[str, ...] = (
    "account_id",
    "source",
    "key",
    "bucket_start",
    "bucket_end",
    "provider",
    "model",
    "confidence",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "requests",
    "cost_micros",
    "currency",
    "kind",
    "project",
    "api_key",
    "workspace",
    "extra",
    "recorded_at",
)
_NATURAL_KEY = ("account_id", "source", "key")
INSERT = f"INSERT INTO usage ({', '.join(COLUMNS)})"
"""The head of an insert of rows in :data:`COLUMNS` order (see ``db.insert_rows``)."""
_ON_CONFLICT = f"ON CONFLICT({', '.join(_NATURAL_KEY)}) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in COLUMNS if c not in _NATURAL_KEY
)
_UPSERT_SQL = f"{INSERT} VALUES ({', '.join('?' * len(COLUMNS))}) {_ON_CONFLICT}"


def _as_row(record: UsageRecord, recorded_at: int) -> tuple[Any, ...]:
    return (
        record.account_id,
        record.source.value,
        record.key,
        to_epoch(record.bucket_start),
        to_epoch(record.bucket_end),
        record.provider,
        record.model,
        record.confidence.value,
        record.input_tokens,
        record.cached_input_tokens,
        record.cache_write_tokens,
        record.output_tokens,
        record.reasoning_tokens,
        record.requests,
        record.cost_micros,
        record.currency,
        record.kind,
        record.project,
        record.api_key,
        record.workspace,
        dumps(record.extra) if record.extra else "{}",
        recorded_at,
    )


def upsert(db: Database, records: Iterable[UsageRecord], *, recorded_at: datetime) -> int:
    """Insert or replace rows by (account, source, key); returns how many were written.

    Replacing is what makes re-polling a bucket that is still filling, or re-importing a log,
    idempotent: the newest observation of a natural key wins and nothing is added twice.
    Call inside a transaction to make a page or batch atomic.
    """
    stamp = to_epoch(recorded_at)
    assert stamp is not None
    rows = [_as_row(r, stamp) for r in records]
    if rows:
        db.conn.executemany(_UPSERT_SQL, rows)
    return len(rows)


def delete_span(
    db: Database, account_id: str, source: Source, start: datetime, end: datetime, kinds: Sequence[str] = ()
) -> int:
    """Delete ``account_id``'s rows of ``source`` (of ``kinds``, when given) whose bucket starts in ``[start, end)``.

    A poll page that reports a span in full replaces what was recorded there before (a daily bucket
    now read as hours, running-counter rows now read as the day's history); call it in the page's
    transaction, before :func:`upsert`.  The rollup triggers take the rows out of the sums.
    """
    clauses = ["account_id = ?", "source = ?", "bucket_start >= ?", "bucket_start < ?"]
    params: list[Any] = [account_id, source.value, to_epoch(start), to_epoch(end)]
    if kinds:
        clauses.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    return db.execute(f"DELETE FROM usage WHERE {' AND '.join(clauses)}", params).rowcount


def log_row(
    account_id: str,
    key: str,
    start: int,
    end: int,
    provider: str,
    model: str,
    tokens: tuple[int, int, int, int, int],
    requests: int,
    cost: int | None,
    project: str,
    extra: str,
    recorded_at: int,
    confidence: str = "estimated",
) -> tuple[Any, ...]:
    """A ``local_log`` row in :data:`COLUMNS` order; ``tokens`` are input, cached, cache write,
    output and reasoning.  Log-derived money is an estimate in USD (``confidence`` ``estimated``),
    or the API-equivalent value of usage under a subscription plan (``subscription``)."""
    inp, cached, write, out, reasoning = tokens
    return (
        account_id,
        "local_log",
        key,
        start,
        end,
        provider,
        model,
        confidence,
        inp,
        cached,
        write,
        out,
        reasoning,
        requests,
        cost,
        "USD",
        "",
        project,
        "",
        "",
        extra,
        recorded_at,
    )


def upsert_rows(db: Database, rows: Sequence[tuple[Any, ...]]) -> int:
    """Fast path for bulk importers: rows already in :data:`COLUMNS` order (epoch ints, JSON text)."""
    insert_rows(db, INSERT, rows, _ON_CONFLICT)
    return len(rows)


def account_totals(db: Database, account_id: str) -> tuple[int, int]:
    """All tokens and micro-USD recorded for ``account_id``, from the daily rollup (cheap), without overflow.

    The agent-log import keeps a log account's totals within ``domain.limits``, so that none of
    its buckets, rollups or sums can overflow a 64-bit integer.
    """
    tokens, cost = db.execute(
        "SELECT total(tokens), total(cost_micros) FROM usage_daily WHERE account_id = ?", [account_id]
    ).fetchone()
    return int(tokens), int(cost)


def _record(row: tuple[Any, ...]) -> UsageRecord:
    return UsageRecord(
        account_id=row[0],
        source=Source(row[1]),
        key=row[2],
        bucket_start=from_epoch(row[3]),  # type: ignore[arg-type]
        bucket_end=from_epoch(row[4]),  # type: ignore[arg-type]
        provider=row[5],
        model=row[6],
        confidence=Confidence(row[7]),
        input_tokens=row[8],
        cached_input_tokens=row[9],
        cache_write_tokens=row[10],
        output_tokens=row[11],
        reasoning_tokens=row[12],
        requests=row[13],
        cost_micros=row[14],
        currency=row[15],
        kind=row[16],
        project=row[17],
        api_key=row[18],
        workspace=row[19],
        extra=json.loads(row[20]) if row[20] != "{}" else {},
    )


class UsageFilter(msgspec.Struct, frozen=True):
    """Which rows to read; empty tuples mean "any"."""

    since: datetime | None = None
    until: datetime | None = None
    accounts: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()

    def where(self) -> tuple[str, list[Any]]:
        """SQL condition and parameters for this filter."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.since is not None:
            clauses.append("bucket_start >= ?")
            params.append(to_epoch(self.since))
        if self.until is not None:
            clauses.append("bucket_start < ?")
            params.append(to_epoch(self.until))
        for column, values in (
            ("account_id", self.accounts),
            ("provider", self.providers),
            ("model", self.models),
            ("source", tuple(s.value for s in self.sources)),
        ):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        return (" AND ".join(clauses) or "1=1"), params


def list_records(db: Database, flt: UsageFilter | None = None, *, limit: int | None = None) -> list[UsageRecord]:
    """Rows matching ``flt`` ordered by time, then account and key."""
    where, params = (flt or UsageFilter()).where()
    sql = f"SELECT {', '.join(COLUMNS)} FROM usage WHERE {where} ORDER BY bucket_start, account_id, key"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_record(r) for r in db.execute(sql, params).fetchall()]


def count(db: Database, flt: UsageFilter | None = None) -> int:
    """How many rows match ``flt``."""
    where, params = (flt or UsageFilter()).where()
    return int(db.execute(f"SELECT count(*) FROM usage WHERE {where}", params).fetchone()[0])
