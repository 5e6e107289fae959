"""m006: own usage from an org key, and the same key never added twice.

* ``account_filters`` holds, per account, the values that narrow its polls to the user's own
  usage: ``api_key_id``, ``project_id``, ``workspace_id`` (sent to the provider) and
  ``user_email`` (the Claude Code report's logins).  No row for an account: its whole organization.
* ``accounts.key_fingerprint`` is a keyed hash of the account's key (never the key; the hash key
  is a random value in ``meta``), so an account whose key is already in use can be refused.
  Accounts added before this migration get theirs on their next poll.

Frozen: never edit this SQL; a change to these tables is a new migration.
"""

from __future__ import annotations

from sqlite_utils import Database

from tokenwallet.ledger.migrations.script import run_script

NAME = "m006_account_filters"


def migrate(db: Database) -> None:
    """Create ``account_filters`` and add ``accounts.key_fingerprint`` (no existing row changes)."""
    run_script(
        db,
        """
        CREATE TABLE account_filters (
            account_id TEXT NOT NULL REFERENCES accounts(id),
            dimension TEXT NOT NULL
                CHECK (dimension IN ('api_key_id','project_id','workspace_id','user_email')),
            value TEXT NOT NULL CHECK (value != ''),
            PRIMARY KEY (account_id, dimension, value)
        ) WITHOUT ROWID;
        ALTER TABLE accounts ADD COLUMN key_fingerprint TEXT NOT NULL DEFAULT '';
        CREATE INDEX accounts_by_key_fingerprint ON accounts (key_fingerprint) WHERE key_fingerprint != '';
        """,
    )
