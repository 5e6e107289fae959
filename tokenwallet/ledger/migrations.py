"""Schema migrations (sqlite-utils ``Migrations``): one named function per change, applied in order.

Add a migration by appending a new decorated function; never edit one that has been released.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("tokenwallet")

_SOURCES = "'api_usage','api_cost','balance','local_log','manual'"
_CONFIDENCE = "'billed','reported','estimated'"


def _script(db: Database, sql: str) -> None:
    """Run the statements of ``sql`` one by one, inside the migration's transaction.

    ``Database.executescript`` does the same in a transaction but looks for the end of a
    statement after every character, which made creating a new ledger take a fifth of a second.
    Splitting at semicolons and asking SQLite whether the statement is complete yet keeps the
    semicolons inside trigger bodies and string literals where they belong.
    """
    statement = ""
    for part in sql.split(";"):
        statement += part + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \t\n;"):
                db.conn.execute(statement)
            statement = ""
    if statement.strip(" \t\n;"):
        db.conn.execute(statement)  # an unfinished statement: SQLite says what is wrong with it


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    """Accounts, usage, snapshots, allowances, grants, sync state, alerts, log files and audit log."""
    _script(
        db,
        f"""
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            label TEXT NOT NULL,
            base_url TEXT NOT NULL DEFAULT '',
            key_hint TEXT NOT NULL DEFAULT '',
            enabled INTEGER NOT NULL DEFAULT 1,
            config TEXT NOT NULL DEFAULT '{{}}',
            created_at INTEGER NOT NULL,
            removed_at INTEGER
        );
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
        CREATE TABLE balance_snapshots (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            kind TEXT NOT NULL CHECK (kind IN ('balance','limit','rate_window')),
            name TEXT NOT NULL,
            observed_at INTEGER NOT NULL,
            currency TEXT NOT NULL DEFAULT 'USD',
            spent_micros INTEGER,
            limit_micros INTEGER,
            remaining_micros INTEGER,
            soft_limit_micros INTEGER,
            used_percent REAL,
            window_minutes INTEGER,
            period TEXT NOT NULL DEFAULT '',
            resets_at INTEGER,
            expires_at INTEGER,
            extra TEXT NOT NULL DEFAULT '{{}}',
            UNIQUE (account_id, kind, name, observed_at)
        );
        CREATE INDEX snapshots_latest ON balance_snapshots (account_id, kind, name, observed_at DESC);
        CREATE TABLE allowances (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            unit TEXT NOT NULL CHECK (unit IN ('usd','tokens')),
            amount INTEGER NOT NULL CHECK (amount >= 0),
            cadence TEXT NOT NULL
                CHECK (cadence IN ('daily','weekly','monthly','quarterly','yearly','one-off')),
            anchor_day INTEGER NOT NULL DEFAULT 1,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            starts_at INTEGER NOT NULL,
            ends_at INTEGER,
            scope_accounts TEXT NOT NULL DEFAULT '[]',
            scope_providers TEXT NOT NULL DEFAULT '[]',
            scope_models TEXT NOT NULL DEFAULT '[]',
            rollover INTEGER NOT NULL DEFAULT 0,
            rollover_cap INTEGER,
            rollover_expires_days INTEGER,
            backing_account_id TEXT REFERENCES accounts(id),
            created_at INTEGER NOT NULL
        );
        CREATE TABLE grants (
            id TEXT PRIMARY KEY,
            allowance_id TEXT NOT NULL REFERENCES allowances(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('topup','adjustment')),
            amount INTEGER NOT NULL,
            granted_at INTEGER NOT NULL,
            expires_at INTEGER,
            note TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            CHECK (expires_at IS NULL OR expires_at > granted_at)
        );
        CREATE INDEX grants_by_allowance ON grants (allowance_id);
        CREATE TABLE sync_state (
            account_id TEXT NOT NULL REFERENCES accounts(id),
            stream TEXT NOT NULL DEFAULT 'default',
            cursor TEXT NOT NULL DEFAULT '{{}}',
            last_attempt INTEGER,
            last_success INTEGER,
            last_error TEXT NOT NULL DEFAULT '',
            error_kind TEXT NOT NULL DEFAULT '',
            failures INTEGER NOT NULL DEFAULT 0,
            next_due INTEGER,
            PRIMARY KEY (account_id, stream)
        );
        CREATE TABLE log_files (
            path TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            device INTEGER NOT NULL DEFAULT 0,
            inode INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL DEFAULT 0,
            offset INTEGER NOT NULL DEFAULT 0,
            mtime_ns INTEGER NOT NULL DEFAULT 0,
            head_hash TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT '{{}}',
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE alert_rules (
            id TEXT PRIMARY KEY,
            allowance_id TEXT REFERENCES allowances(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            params TEXT NOT NULL DEFAULT '{{}}',
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE alert_state (
            rule_id TEXT NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
            period_key TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('ok','alarm')),
            changed_at INTEGER NOT NULL,
            snoozed_until INTEGER,
            PRIMARY KEY (rule_id, period_key)
        );
        CREATE TABLE alert_events (
            id INTEGER PRIMARY KEY,
            rule_id TEXT,
            allowance_id TEXT,
            period_key TEXT NOT NULL DEFAULT '',
            fired_at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            severity TEXT NOT NULL DEFAULT 'warning',
            title TEXT NOT NULL,
            message TEXT NOT NULL,
            delivered_at INTEGER,
            extra TEXT NOT NULL DEFAULT '{{}}'
        );
        CREATE INDEX alert_events_by_time ON alert_events (fired_at);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL DEFAULT 'user',
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL DEFAULT '',
            details TEXT NOT NULL DEFAULT '{{}}'
        );
        CREATE INDEX audit_by_time ON audit_log (at);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE VIEW usage_view AS
            SELECT id, account_id, source, confidence, provider, model, kind,
                   datetime(bucket_start, 'unixepoch') AS bucket_start_utc,
                   datetime(bucket_end, 'unixepoch') AS bucket_end_utc,
                   input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
                   reasoning_tokens, requests,
                   cost_micros / 1000000.0 AS cost_usd, currency, project, api_key, workspace
            FROM usage;
        CREATE VIEW audit_view AS
            SELECT id, datetime(at, 'unixepoch') AS at_utc, actor, action, entity, entity_id, details
            FROM audit_log;
        """,
    )


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
        {rollup_fill_sql(table, step)};
        {_rollup_triggers(table, step)}
    """


def rollup_fill_sql(table: str, step: int, where: str = "") -> str:
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


@MIGRATIONS()
def m002_usage_rollups(db: Database) -> None:
    """Hourly and daily (UTC) spend per (account, provider, confidence lane), kept current by triggers.

    Allowance status reads whole days and hours from these and only the hours a period or grant
    boundary cuts from ``usage``, so its cost follows the period length, not the row count.
    ``start`` is the Unix time of the hour or UTC day.
    """
    _script(db, _rollup_table("usage_hourly", 3600) + _rollup_table("usage_daily", 86400))


ROLLUP_TABLES: tuple[tuple[str, int], ...] = (("usage_hourly", 3600), ("usage_daily", 86400))
"""The rollup tables and their bucket length in seconds."""


@MIGRATIONS()
def m003_log_entries(db: Database) -> None:
    """Claude Code requests move to the compact ``log_entries``; ``usage`` keeps quarter-hour buckets.

    Earlier versions stored one ``usage`` row per request, keyed ``<message id>/<request id>``
    (or ``line:...`` for lines without a message id); those rows become entries and buckets.
    """
    import json

    from tokenwallet.ledger import log_entries, rollups

    _script(
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
        entries = []
        recorded = 0
        for key, at, model, project, inp, cached, write, out, cost, extra_text, recorded_at in rows:
            extra = json.loads(extra_text) if extra_text and extra_text != "{}" else {}
            mid, _, rid = key.partition("/")
            hashes = (
                (log_entries.key_hash(key), 0)
                if key.startswith("line:")
                else (log_entries.key_hash(mid), log_entries.request_hash(rid))
            )
            flags = (
                (log_entries.SIDECHAIN if extra.get("sidechain") else 0)
                | (log_entries.HAS_SPEED if extra.get("speed") else 0)
                | (log_entries.FAST if extra.get("speed") == "fast" else 0)
            )
            c1h = int(extra.get("c1h", 0))
            entries.append((account_id, *hashes, at, model, project, inp, cached, write, c1h, out, cost, flags))
            recorded = max(recorded, recorded_at)
        # The rollup triggers would run once per deleted row; sum the account's rollups once instead.
        with rollups.deferred_for_account(db, account_id):
            db.execute("DELETE FROM usage WHERE account_id = ? AND source = 'local_log'", [account_id])
            log_entries.apply(db, account_id, provider, entries, [], recorded_at=recorded)


@MIGRATIONS()
def m004_policies(db: Database) -> None:
    """Employer policies: every imported revision, the allowances each created, and their grants.

    ``policies`` keeps each revision's normalised document (JSON) and its digest, so a second
    import of the same revision with other content can be refused.  ``policy_allowances`` marks an
    allowance as created by a policy and lists the fields the policy owns; ``policy_grants`` ties
    the top-ups and vesting instalments it created to a key that is stable across revisions.
    Self-contained: nothing here may import tokenwallet code (the migration is history).
    """
    _script(
        db,
        """
        CREATE TABLE policies (
            policy_id TEXT NOT NULL,
            revision INTEGER NOT NULL CHECK (revision >= 1),
            employer TEXT NOT NULL,
            effective TEXT NOT NULL,
            document TEXT NOT NULL,
            digest TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            imported_at INTEGER NOT NULL,
            PRIMARY KEY (policy_id, revision)
        );
        CREATE TABLE policy_allowances (
            allowance_id TEXT PRIMARY KEY REFERENCES allowances(id) ON DELETE CASCADE,
            policy_id TEXT NOT NULL,
            revision INTEGER NOT NULL,
            name TEXT NOT NULL,
            owned TEXT NOT NULL DEFAULT '[]',
            retired_revision INTEGER,
            UNIQUE (policy_id, name)
        );
        CREATE TABLE policy_grants (
            grant_id TEXT PRIMARY KEY REFERENCES grants(id) ON DELETE CASCADE,
            allowance_id TEXT NOT NULL REFERENCES allowances(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            UNIQUE (allowance_id, key)
        );
        CREATE INDEX policy_grants_by_allowance ON policy_grants (allowance_id);
        """,
    )
