"""m001: the first schema -- accounts, usage, snapshots, allowances, grants, sync state, alerts,
log files and the audit log.

Frozen: this is what every ledger was created with; never edit it (add a new migration instead).
"""

from __future__ import annotations

from sqlite_utils import Database

from tokenwallet.ledger.migrations.script import run_script

NAME = "m001_initial"

_SOURCES = "'api_usage','api_cost','balance','local_log','manual'"
_CONFIDENCE = "'billed','reported','estimated'"


def migrate(db: Database) -> None:
    """Accounts, usage, snapshots, allowances, grants, sync state, alerts, log files and audit log."""
    run_script(
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
