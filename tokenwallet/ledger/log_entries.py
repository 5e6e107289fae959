"""Per-request entries read from agent logs, and the quarter-hour usage buckets made from them.

A Claude Code corpus holds hundreds of thousands of requests.  Each is kept in ``log_entries``
(a compact ``WITHOUT ROWID`` table keyed by 64-bit hashes of its ids) so that later imports can
de-duplicate against it, and the spend is recorded in ``usage`` as one row per (account,
quarter hour, model, project): the rows everything else reads (status, rollups, reports).
Quarter hours keep period boundaries exact in every real time zone (all offsets are multiples
of 15 minutes) while writing a fraction of the rows.

:func:`apply` is the only writer: it removes replaced entries, stores new ones and moves the
affected buckets by the difference, so the buckets always equal the sum of the entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

from tokenwallet.ledger import usage

BUCKET_SECONDS = 900

COLUMNS: tuple[str, ...] = (
    "account_id",
    "entry_hash",
    "request_hash",
    "at",
    "model",
    "project",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "cache_1h_tokens",
    "output_tokens",
    "cost_micros",
    "flags",
)
"""Column order of the row tuples :func:`apply` takes and :func:`for_entry` returns."""

SIDECHAIN, HAS_SPEED, FAST = 1, 2, 4
"""Bits of ``flags``."""

Row = tuple[Any, ...]

_UPSERT_ENTRIES = (
    f"INSERT INTO log_entries ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    "ON CONFLICT (account_id, entry_hash, request_hash) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[3:])
)
_DELETE_ENTRY = "DELETE FROM log_entries WHERE account_id = ? AND entry_hash = ? AND request_hash = ?"
# Buckets move by differences; a bucket whose model has no price stays unpriced (NULL cost).
_MOVE_BUCKET = (
    f"INSERT INTO usage ({', '.join(usage.COLUMNS)}) VALUES ({', '.join('?' * len(usage.COLUMNS))}) "
    "ON CONFLICT (account_id, source, key) DO UPDATE SET "
    "input_tokens = input_tokens + excluded.input_tokens, "
    "cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens, "
    "cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, "
    "output_tokens = output_tokens + excluded.output_tokens, "
    "requests = requests + excluded.requests, "
    "cost_micros = CASE WHEN cost_micros IS NULL OR excluded.cost_micros IS NULL THEN NULL "
    "ELSE cost_micros + excluded.cost_micros END, "
    "recorded_at = excluded.recorded_at"
)


def key_hash(text: str) -> int:
    """A stable signed 64-bit hash of an id (``message.id``, ``requestId`` or a line's key)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def bucket_key(start: int, model: str, project: str) -> str:
    """The ``usage.key`` of a bucket: ``q:<start>:<model>:<project>``."""
    return f"q:{start}:{model}:{project}"


def for_entry(db: Database, account_id: str, entry_hash: int) -> list[Row]:
    """The stored entries of one message (several when it has several request ids)."""
    return db.execute(
        f"SELECT {', '.join(COLUMNS)} FROM log_entries WHERE account_id = ? AND entry_hash = ?",
        [account_id, entry_hash],
    ).fetchall()


def count(db: Database, account_id: str) -> int:
    """How many entries ``account_id`` has."""
    return int(db.execute("SELECT count(*) FROM log_entries WHERE account_id = ?", [account_id]).fetchone()[0])


def apply(
    db: Database,
    account_id: str,
    provider: str,
    put: Sequence[Row],
    drop: Sequence[Row],
    *,
    recorded_at: int,
    buckets: bool = True,
) -> None:
    """Remove the entries ``drop``, store the entries ``put`` and move the buckets to match.

    ``drop`` must be exactly the stored rows being removed or replaced (as read or written
    earlier), since their figures are taken off their buckets.  With ``buckets=False`` the
    caller sums them later with :func:`refill_buckets`.  Call inside a transaction.
    """
    if drop:
        db.conn.executemany(_DELETE_ENTRY, [(account_id, r[1], r[2]) for r in drop])
    if put:
        db.conn.executemany(_UPSERT_ENTRIES, put)
    moves = _bucket_moves(put, drop) if buckets else {}
    if not moves:
        return
    rows = [
        (
            account_id,
            "local_log",
            bucket_key(start, model, project),
            start,
            start + BUCKET_SECONDS,
            provider,
            model,
            "estimated",
            inp,
            cached,
            write,
            out,
            0,
            requests,
            cost if priced else None,
            "USD",
            "",
            project,
            "",
            "",
            "{}",
            recorded_at,
        )
        for (start, model, project), (inp, cached, write, out, cost, requests, priced) in moves.items()
    ]
    db.conn.executemany(_MOVE_BUCKET, rows)
    if drop:
        # A bucket whose last request was replaced by one in another bucket is empty now.
        db.conn.executemany(
            "DELETE FROM usage WHERE account_id = ? AND source = 'local_log' AND key = ? AND requests <= 0",
            [(account_id, r[2]) for r in rows if r[13] < 0],
        )


def refill_buckets(db: Database, account_id: str, provider: str, *, recorded_at: int) -> None:
    """Recompute every bucket of ``account_id`` from its entries, set-based (after a bulk write)."""
    db.execute("DELETE FROM usage WHERE account_id = ? AND source = 'local_log'", [account_id])
    db.execute(
        f"INSERT INTO usage ({', '.join(usage.COLUMNS)}) "
        "SELECT account_id, 'local_log', 'q:' || start || ':' || model || ':' || project, start, start + ?, ?, "
        "model, 'estimated', input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, 0, requests, "
        "cost_micros, 'USD', '', project, '', '', '{}', ? FROM ("
        "  SELECT account_id, at - at % ? AS start, model, project, sum(input_tokens) AS input_tokens,"
        "  sum(cached_input_tokens) AS cached_input_tokens, sum(cache_write_tokens) AS cache_write_tokens,"
        "  sum(output_tokens) AS output_tokens, count(*) AS requests,"
        "  CASE WHEN count(cost_micros) = count(*) THEN sum(cost_micros) END AS cost_micros"
        "  FROM log_entries WHERE account_id = ? GROUP BY start, model, project)",
        [BUCKET_SECONDS, provider, recorded_at, BUCKET_SECONDS, account_id],
    )


def _bucket_moves(put: Iterable[Row], drop: Iterable[Row]) -> dict[tuple[int, str, str], list[int]]:
    """Per bucket: [input, cached, cache write, output, cost, requests, priced (0/1)] to add."""
    moves: dict[tuple[int, str, str], list[int]] = {}
    for rows, sign in ((put, 1), (drop, -1)):
        for r in rows:
            at = r[3]
            key = (at - at % BUCKET_SECONDS, r[4], r[5])
            m = moves.get(key)
            if m is None:
                m = moves[key] = [0, 0, 0, 0, 0, 0, 1]
            m[0] += sign * r[6]
            m[1] += sign * r[7]
            m[2] += sign * r[8]
            m[3] += sign * r[10]
            if r[11] is None:
                m[6] = 0
            else:
                m[4] += sign * r[11]
            m[5] += sign
    return moves
