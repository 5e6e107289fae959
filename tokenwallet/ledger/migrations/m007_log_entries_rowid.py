"""m007: ``log_entries`` becomes a rowid table with its key in a separate unique index.

A first import of a large history appends hundreds of thousands of entries.  Kept in key order
(the ``WITHOUT ROWID`` table of m003), each entry went into a random place of a large tree; as a
rowid table the entries are appended, and the key index (``log_entries_key``, unique on the same
three columns as before, so lookups and ``ON CONFLICT`` work as they did) is small enough to stay
in memory, or is built once after the load.  The index leads with ``entry_hash``: keys then
compare on their first number, which makes building it a third cheaper than leading with the
account's name.  Columns and rows are unchanged.

Frozen: never edit; a later change of the table is a new migration.
"""

from __future__ import annotations

from sqlite_utils import Database

from tokenwallet.ledger.migrations.script import run_script

NAME = "m007_log_entries_rowid"


def migrate(db: Database) -> None:
    """Move the entries into a rowid table and index their key."""
    run_script(
        db,
        """
        CREATE TABLE log_entries_rowid (
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
            flags INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO log_entries_rowid SELECT account_id, entry_hash, request_hash, at, model, project, input_tokens,
            cached_input_tokens, cache_write_tokens, cache_1h_tokens, output_tokens, cost_micros, flags
            FROM log_entries;
        DROP TABLE log_entries;
        ALTER TABLE log_entries_rowid RENAME TO log_entries;
        CREATE UNIQUE INDEX log_entries_key ON log_entries (entry_hash, request_hash, account_id);
        """,
    )
