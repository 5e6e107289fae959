"""m003: Claude Code requests move to the compact ``log_entries``; ``usage`` keeps quarter-hour buckets.

Earlier versions stored one ``usage`` row per request, keyed ``<message id>/<request id>`` (or
``line:...`` for lines without a message id); those rows become entries and buckets.

Frozen: the hashes, flag bits, bucket rule and rollup SQL below are copies of what the importer
and the rollups used when this migration was written, so that upgrading an old ledger gives the
same rows whatever the runtime code becomes.  Never edit it; golden-value tests pin the hashes.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from typing import Any

from sqlite_utils import Database

from tokenwallet.ledger.migrations.script import run_script

NAME = "m003_log_entries"

_BUCKET_SECONDS = 900
_SIDECHAIN, _HAS_SPEED, _FAST = 1, 2, 4
_SIGNED_64 = struct.Struct(">q").unpack
_ENTRY_COLUMNS = (
    "account_id, entry_hash, request_hash, at, model, project, input_tokens, cached_input_tokens, "
    "cache_write_tokens, cache_1h_tokens, output_tokens, cost_micros, flags"
)
_INSERT_ENTRY = (
    f"INSERT INTO log_entries ({_ENTRY_COLUMNS}) VALUES ({', '.join('?' * 13)}) "
    "ON CONFLICT (account_id, entry_hash, request_hash) DO UPDATE SET at = excluded.at, model = excluded.model, "
    "project = excluded.project, input_tokens = excluded.input_tokens, "
    "cached_input_tokens = excluded.cached_input_tokens, cache_write_tokens = excluded.cache_write_tokens, "
    "cache_1h_tokens = excluded.cache_1h_tokens, output_tokens = excluded.output_tokens, "
    "cost_micros = excluded.cost_micros, flags = excluded.flags"
)
_INSERT_BUCKET = (
    "INSERT INTO usage (account_id, source, key, bucket_start, bucket_end, provider, model, confidence, "
    "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, requests, "
    "cost_micros, currency, kind, project, api_key, workspace, extra, recorded_at) "
    "VALUES (?, 'local_log', ?, ?, ?, ?, ?, 'estimated', ?, ?, ?, ?, 0, ?, ?, 'USD', '', ?, '', '', '{}', ?) "
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
_ROLLUPS = (("usage_hourly", 3600), ("usage_daily", 86400))
_ROLLUP_TRIGGERS = tuple(f"{table}_{op}" for table, _ in _ROLLUPS for op in ("insert", "delete", "update"))
_TOKENS = "(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens)"


def key_hash(text: str) -> int:
    """A stable signed 64-bit hash of a ``message.id`` (or of a line's own key): BLAKE2b, 8 bytes, big-endian."""
    value: int = _SIGNED_64(hashlib.blake2b(text.encode(), digest_size=8).digest())[0]
    return value


def request_hash(text: str) -> int:
    """A stable 32-bit hash of a ``requestId`` (CRC-32)."""
    return zlib.crc32(text.encode())


def _rollup_fill(table: str, step: int) -> str:
    """The m002 rollup sums of one account's ``usage`` rows."""
    return f"""
        INSERT INTO {table} (start, account_id, provider, estimated, cost_micros, tokens, unpriced_rows, rows)
            SELECT bucket_start - bucket_start % {step}, account_id, provider, confidence = 'estimated',
                   COALESCE(SUM(cost_micros), 0),
                   SUM(CASE WHEN source IN ('api_usage','local_log','manual') THEN {_TOKENS} ELSE 0 END),
                   SUM(CASE WHEN cost_micros IS NULL AND source IN ('local_log','manual') AND {_TOKENS} > 0
                            THEN 1 ELSE 0 END),
                   COUNT(*)
            FROM usage
            WHERE account_id = ?
            GROUP BY 1, 2, 3, 4
    """


def _entry(account_id: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """One per-request ``usage`` row of earlier versions as a ``log_entries`` row."""
    key, at, model, project, inp, cached, write, out, cost, extra_text = row
    extra = json.loads(extra_text) if extra_text and extra_text != "{}" else {}
    mid, _, rid = key.partition("/")
    hashes = (key_hash(key), 0) if key.startswith("line:") else (key_hash(mid), request_hash(rid))
    flags = (
        (_SIDECHAIN if extra.get("sidechain") else 0)
        | (_HAS_SPEED if extra.get("speed") else 0)
        | (_FAST if extra.get("speed") == "fast" else 0)
    )
    c1h = int(extra.get("c1h", 0))
    return (account_id, *hashes, at, model, project, inp, cached, write, c1h, out, cost, flags)


def _buckets(entries: list[tuple[Any, ...]]) -> dict[tuple[int, str, str], list[int]]:
    """Per quarter hour, model and project: [input, cached, cache write, output, cost, requests, priced]."""
    moves: dict[tuple[int, str, str], list[int]] = {}
    for r in entries:
        at = r[3]
        m = moves.setdefault((at - at % _BUCKET_SECONDS, r[4], r[5]), [0, 0, 0, 0, 0, 0, 1])
        m[0] += r[6]
        m[1] += r[7]
        m[2] += r[8]
        m[3] += r[10]
        if r[11] is None:
            m[6] = 0
        else:
            m[4] += r[11]
        m[5] += 1
    return moves


def migrate(db: Database) -> None:
    """Create ``log_entries`` and turn each Claude Code account's per-request rows into entries and buckets."""
    run_script(
        db,
        """
        CREATE TABLE log_entries (
            account_id TEXT NOT NULL REFERENCES accounts(id),
            entry_hash INTEGER NOT NULL,
            request_hash INTEGER NOT NULL,
            at INTEGER NOT NULL,
            model TEXT NOT NULL,
            project TEXT NOT NULL DEFAULT '',
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cached_input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            cache_1h_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_micros INTEGER,
            flags INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (account_id, entry_hash, request_hash)
        ) WITHOUT ROWID;
        """,
    )
    accounts = db.execute(
        "SELECT accounts.id, usage.provider FROM accounts JOIN usage ON usage.account_id = accounts.id "
        "WHERE accounts.kind = 'claude-code' AND usage.source = 'local_log' GROUP BY accounts.id"
    ).fetchall()
    for account_id, provider in accounts:
        rows = db.execute(
            "SELECT key, bucket_start, model, project, input_tokens, cached_input_tokens, cache_write_tokens, "
            "output_tokens, cost_micros, extra, recorded_at FROM usage WHERE account_id = ? AND source = 'local_log'",
            [account_id],
        ).fetchall()
        entries = [_entry(account_id, row[:10]) for row in rows]
        recorded = max((row[10] for row in rows), default=0)
        # The rollup triggers would run once per moved row: set them aside and sum the account once.
        saved = db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'usage' "
            f"AND name IN ({', '.join('?' * len(_ROLLUP_TRIGGERS))})",
            list(_ROLLUP_TRIGGERS),
        ).fetchall()
        for name, _ in saved:
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DELETE FROM usage WHERE account_id = ? AND source = 'local_log'", [account_id])
        db.conn.executemany(_INSERT_ENTRY, entries)
        db.conn.executemany(
            _INSERT_BUCKET,
            [
                (
                    account_id,
                    f"q:{start}:{model}:{project}",
                    start,
                    start + _BUCKET_SECONDS,
                    provider,
                    model,
                    inp,
                    cached,
                    write,
                    out,
                    requests,
                    cost if priced else None,
                    project,
                    recorded,
                )
                for (start, model, project), (inp, cached, write, out, cost, requests, priced) in _buckets(
                    entries
                ).items()
                if requests or inp or cached or write or out or cost
            ],
        )
        for table, step in _ROLLUPS:
            db.execute(f"DELETE FROM {table} WHERE account_id = ?", [account_id])
            db.execute(_rollup_fill(table, step), [account_id])
        for _, sql in saved:
            db.execute(sql)
