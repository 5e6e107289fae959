"""m005: streams and confidences for the counting rule.

* ``usage.confidence`` also takes ``gateway`` (spend a gateway recorded for the key) and
  ``subscription`` (usage under a subscription plan).  SQLite cannot change a CHECK constraint, so
  the table is rebuilt: renamed aside, created again with the new constraint, its rows copied
  with their ids, the old one dropped; indexes, the view and the rollups are made again.
* ``accounts.billed_by`` names the account an agent-log source is billed through (its estimates
  then count only where that account has not reported yet); ``accounts.subscription`` marks an
  agent-log source whose usage is under a subscription plan.
* ``allowances.count_subscriptions``: a usd allowance that counts subscription usage's
  API-equivalent value as spend.
* The rollups ``usage_hourly``/``usage_daily`` are keyed by confidence (not estimated-or-not) and
  by ``day_bucket`` (1 for rows of a bucket longer than an hour, i.e. daily UTC buckets, which the
  meter places on local days by splitting them; a partial index finds them), so the counting rule
  reads them per stream and confidence.

Frozen: the SQL below is what this migration made; never edit it.  Code that refreshes rollups
today builds its SQL from ``tokenwallet.ledger.spend_rules``; a test checks that both agree.
"""

from __future__ import annotations

from sqlite_utils import Database

from tokenwallet.ledger.migrations.script import run_script

NAME = "m005_streams"

_SOURCES = "'api_usage','api_cost','balance','local_log','manual'"
_CONFIDENCE = "'billed','gateway','reported','estimated','subscription'"
_TOKENS = "(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens)"
_OLD_TRIGGERS = tuple(
    f"{table}_{op}" for table in ("usage_hourly", "usage_daily") for op in ("insert", "delete", "update")
)

_USAGE = f"""
        CREATE TABLE usage (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            source TEXT NOT NULL CHECK (source IN ({_SOURCES})),
            key TEXT NOT NULL,
            bucket_start INTEGER NOT NULL,
            bucket_end INTEGER NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL DEFAULT '',
            confidence TEXT NOT NULL CHECK (confidence IN ({_CONFIDENCE})),
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cached_input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            cost_micros INTEGER,
            currency TEXT NOT NULL DEFAULT 'USD',
            kind TEXT NOT NULL DEFAULT '',
            project TEXT NOT NULL DEFAULT '',
            api_key TEXT NOT NULL DEFAULT '',
            workspace TEXT NOT NULL DEFAULT '',
            extra TEXT NOT NULL DEFAULT '{{}}',
            recorded_at INTEGER NOT NULL,
            CHECK (bucket_end >= bucket_start),
            UNIQUE (account_id, source, key)
        );
        CREATE INDEX usage_by_time ON usage (bucket_start);
        CREATE INDEX usage_by_account_time ON usage (account_id, bucket_start);
        CREATE VIEW usage_view AS
            SELECT id, account_id, source, confidence, provider, model, kind,
                   datetime(bucket_start, 'unixepoch') AS bucket_start_utc,
                   datetime(bucket_end, 'unixepoch') AS bucket_end_utc,
                   input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
                   reasoning_tokens, requests,
                   cost_micros / 1000000.0 AS cost_usd, currency, project, api_key, workspace
            FROM usage;
"""

_COLUMNS = (
    "id, account_id, source, key, bucket_start, bucket_end, provider, model, confidence, input_tokens, "
    "cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, requests, cost_micros, currency, "
    "kind, project, api_key, workspace, extra, recorded_at"
)


def _delta(table: str, step: int, row: str, sign: str) -> str:
    """An upsert adding (``sign`` = +) or removing (-) one usage row's figures from a rollup table."""
    tokens = _TOKENS.replace("(", f"({row}.", 1).replace(" + ", f" + {row}.")
    return f"""
        INSERT INTO {table} (start, account_id, provider, confidence, day_bucket, cost_micros, tokens,
                             unpriced_rows, rows)
        VALUES (
            {row}.bucket_start - {row}.bucket_start % {step},
            {row}.account_id,
            {row}.provider,
            {row}.confidence,
            {row}.bucket_end - {row}.bucket_start > 3600,
            {sign}COALESCE({row}.cost_micros, 0),
            {sign}(CASE WHEN {row}.source IN ('api_usage','local_log','manual') THEN {tokens} ELSE 0 END),
            {sign}(CASE WHEN {row}.cost_micros IS NULL AND {row}.source IN ('local_log','manual')
                         AND {tokens} > 0 THEN 1 ELSE 0 END),
            {sign}1
        )
        ON CONFLICT (start, account_id, provider, confidence, day_bucket) DO UPDATE SET
            cost_micros = cost_micros + excluded.cost_micros,
            tokens = tokens + excluded.tokens,
            unpriced_rows = unpriced_rows + excluded.unpriced_rows,
            rows = rows + excluded.rows;
    """


def _rollup(table: str, step: int) -> str:
    return f"""
        CREATE TABLE {table} (
            start INTEGER NOT NULL,
            account_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            confidence TEXT NOT NULL,
            day_bucket INTEGER NOT NULL,
            cost_micros INTEGER NOT NULL DEFAULT 0,
            tokens INTEGER NOT NULL DEFAULT 0,
            unpriced_rows INTEGER NOT NULL DEFAULT 0,
            rows INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (start, account_id, provider, confidence, day_bucket)
        ) WITHOUT ROWID;
        INSERT INTO {table} (start, account_id, provider, confidence, day_bucket, cost_micros, tokens,
                             unpriced_rows, rows)
            SELECT bucket_start - bucket_start % {step}, account_id, provider, confidence,
                   bucket_end - bucket_start > 3600,
                   COALESCE(SUM(cost_micros), 0),
                   SUM(CASE WHEN source IN ('api_usage','local_log','manual') THEN {_TOKENS} ELSE 0 END),
                   SUM(CASE WHEN cost_micros IS NULL AND source IN ('local_log','manual') AND {_TOKENS} > 0
                            THEN 1 ELSE 0 END),
                   COUNT(*)
            FROM usage
            GROUP BY 1, 2, 3, 4, 5;
        CREATE INDEX {table}_day_buckets ON {table} (start) WHERE day_bucket = 1;
        CREATE TRIGGER {table}_insert AFTER INSERT ON usage BEGIN
            {_delta(table, step, "NEW", "+")}
        END;
        CREATE TRIGGER {table}_delete AFTER DELETE ON usage BEGIN
            {_delta(table, step, "OLD", "-")}
        END;
        CREATE TRIGGER {table}_update AFTER UPDATE ON usage BEGIN
            {_delta(table, step, "OLD", "-")}
            {_delta(table, step, "NEW", "+")}
        END;
    """


def migrate(db: Database) -> None:
    """New confidences, stream declarations on accounts, the allowance option, rollups by confidence."""
    for name in _OLD_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    run_script(
        db,
        f"""
        DROP VIEW usage_view;
        DROP TABLE usage_hourly;
        DROP TABLE usage_daily;
        DROP INDEX usage_by_time;
        DROP INDEX usage_by_account_time;
        ALTER TABLE usage RENAME TO usage_before_m005;
        {_USAGE}
        INSERT INTO usage ({_COLUMNS}) SELECT {_COLUMNS} FROM usage_before_m005 ORDER BY id;
        DROP TABLE usage_before_m005;
        ALTER TABLE accounts ADD COLUMN billed_by TEXT REFERENCES accounts(id);
        ALTER TABLE accounts ADD COLUMN subscription INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE allowances ADD COLUMN count_subscriptions INTEGER NOT NULL DEFAULT 0;
        {_rollup("usage_hourly", 3600)}
        {_rollup("usage_daily", 86400)}
        """,
    )
