"""m008: an entry names its account by a small number (``log_accounts``) instead of by its id text.

Each of the hundreds of thousands of entries of a Claude Code history repeated its account's id
(``claude-code-1a2b3c4d``, twenty bytes) in the table and again in the key index: a fifth of the
ledger's size, written twice by every first import (to the write-ahead log, then to the file).
``log_accounts`` numbers the accounts that have entries; ``log_entries.account`` holds that
number, and the key index is unique on (``entry_hash``, ``request_hash``, ``account``) as before
on the id.  Rows keep their order and every other column.

Frozen: never edit; a later change of the table is a new migration.
"""

from __future__ import annotations

from sqlite_utils import Database

from tokenwallet.ledger.migrations.script import run_script

NAME = "m008_log_entry_accounts"


def migrate(db: Database) -> None:
    """Number the accounts with entries and store that number in each entry."""
    run_script(
        db,
        """
        CREATE TABLE log_accounts (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL UNIQUE REFERENCES accounts(id)
        );
        INSERT INTO log_accounts (account_id) SELECT DISTINCT account_id FROM log_entries ORDER BY account_id;
        CREATE TABLE log_entries_numbered (
            account INTEGER NOT NULL REFERENCES log_accounts(id),
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
            flags INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO log_entries_numbered SELECT a.id, e.entry_hash, e.request_hash, e.at, e.model, e.project,
            e.input_tokens, e.cached_input_tokens, e.cache_write_tokens, e.cache_1h_tokens, e.output_tokens,
            e.cost_micros, e.flags
            FROM log_entries e JOIN log_accounts a ON a.account_id = e.account_id ORDER BY e.rowid;
        DROP TABLE log_entries;
        ALTER TABLE log_entries_numbered RENAME TO log_entries;
        CREATE UNIQUE INDEX log_entries_key ON log_entries (entry_hash, request_hash, account);
        """,
    )
