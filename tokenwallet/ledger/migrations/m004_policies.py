"""m004: employer policies: every imported revision, the allowances each created, and their grants.

``policies`` keeps each revision's normalised document (JSON) and its digest, so a second import
of the same revision with other content can be refused.  ``policy_allowances`` marks an allowance
as created by a policy and lists the fields the policy owns (``retired_revision``: a later revision
dropped it and it ended then); ``policy_grants`` ties the top-ups and vesting instalments a policy
created to a key that is stable across revisions (``topup:<day>:<reason>``, ``vesting:<n>``).

Frozen: never edit this SQL; a change to these tables is a new migration.
"""

from __future__ import annotations

from sqlite_utils import Database

from tokenwallet.ledger.migrations.script import run_script

NAME = "m004_policies"


def migrate(db: Database) -> None:
    """Create the three policy tables (new ledgers and old ones alike; no existing rows change)."""
    run_script(
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
