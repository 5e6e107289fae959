"""m002: hourly and daily (UTC) spend rollups of ``usage``, kept current by triggers.

Frozen: the SQL below is the rollup definition as released (the triggers stored in every ledger
were made from it); never edit it.  Code that refreshes rollups today builds its SQL from
``tokenwallet.ledger.spend_rules``; a test checks that both still agree.
"""

from __future__ import annotations

from sqlite_utils import Database

from tokenwallet.ledger.migrations.script import run_script

NAME = "m002_usage_rollups"

_ROLLUP_TOKENS = "(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens)"


def _rollup_delta(table: str, step: int, row: str, sign: str) -> str:
    """An upsert adding (``sign`` = +) or removing (-) one usage row's figures from a rollup table."""
    tokens = _ROLLUP_TOKENS.replace("(", f"({row}.", 1).replace(" + ", f" + {row}.")
    return f"""
        INSERT INTO {table} (start, account_id, provider, estimated, cost_micros, tokens, unpriced_rows, rows)
        VALUES (
            {row}.bucket_start - {row}.bucket_start % {step},
            {row}.account_id,
            {row}.provider,
            {row}.confidence = 'estimated',
            {sign}COALESCE({row}.cost_micros, 0),
            {sign}(CASE WHEN {row}.source IN ('api_usage','local_log','manual') THEN {tokens} ELSE 0 END),
            {sign}(CASE WHEN {row}.cost_micros IS NULL AND {row}.source IN ('local_log','manual')
                         AND {tokens} > 0 THEN 1 ELSE 0 END),
            {sign}1
        )
        ON CONFLICT (start, account_id, provider, estimated) DO UPDATE SET
            cost_micros = cost_micros + excluded.cost_micros,
            tokens = tokens + excluded.tokens,
            unpriced_rows = unpriced_rows + excluded.unpriced_rows,
            rows = rows + excluded.rows;
    """


def _rollup_table(table: str, step: int) -> str:
    return f"""
        CREATE TABLE {table} (
            start INTEGER NOT NULL,
            account_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            estimated INTEGER NOT NULL,
            cost_micros INTEGER NOT NULL DEFAULT 0,
            tokens INTEGER NOT NULL DEFAULT 0,
            unpriced_rows INTEGER NOT NULL DEFAULT 0,
            rows INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (start, account_id, provider, estimated)
        ) WITHOUT ROWID;
        {_fill(table, step)};
        {_rollup_triggers(table, step)}
    """


def _fill(table: str, step: int, where: str = "") -> str:
    """``INSERT`` into a rollup table the sums of the ``usage`` rows matching ``where`` (SQL, may be empty)."""
    return f"""
        INSERT INTO {table} (start, account_id, provider, estimated, cost_micros, tokens, unpriced_rows, rows)
            SELECT bucket_start - bucket_start % {step}, account_id, provider, confidence = 'estimated',
                   COALESCE(SUM(cost_micros), 0),
                   SUM(CASE WHEN source IN ('api_usage','local_log','manual') THEN {_ROLLUP_TOKENS} ELSE 0 END),
                   SUM(CASE WHEN cost_micros IS NULL AND source IN ('local_log','manual') AND {_ROLLUP_TOKENS} > 0
                            THEN 1 ELSE 0 END),
                   COUNT(*)
            FROM usage
            {f"WHERE {where}" if where else ""}
            GROUP BY 1, 2, 3, 4
    """


def _rollup_triggers(table: str, step: int) -> str:
    return f"""
        CREATE TRIGGER {table}_insert AFTER INSERT ON usage BEGIN
            {_rollup_delta(table, step, "NEW", "+")}
        END;
        CREATE TRIGGER {table}_delete AFTER DELETE ON usage BEGIN
            {_rollup_delta(table, step, "OLD", "-")}
        END;
        CREATE TRIGGER {table}_update AFTER UPDATE ON usage BEGIN
            {_rollup_delta(table, step, "OLD", "-")}
            {_rollup_delta(table, step, "NEW", "+")}
        END;
    """


def migrate(db: Database) -> None:
    """Hourly and daily (UTC) spend per (account, provider, confidence lane), kept current by triggers.

    Allowance status reads whole days and hours from these and only the hours a period or grant
    boundary cuts from ``usage``, so its cost follows the period length, not the row count.
    ``start`` is the Unix time of the hour or UTC day.
    """
    run_script(db, _rollup_table("usage_hourly", 3600) + _rollup_table("usage_daily", 86400))
