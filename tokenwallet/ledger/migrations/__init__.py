"""Schema migrations (sqlite-utils ``Migrations``), one frozen module per change, applied in order.

A migration is history: its module carries the SQL and any helper code it needs as they were when
it was written, and imports nothing of tokenwallet outside this package (an import-linter
contract and ``tests/unit/test_ledger_schema.py`` check both).  To change the schema, add a module
``mNNN_what.py`` with ``NAME`` and ``migrate(db)`` and append it to :data:`STEPS`; never edit a
released one.  ``tests/fixtures/ledgers/`` keeps a ledger of each released schema, and the tests
upgrade every one of them to the current schema.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from tokenwallet.ledger.migrations import (
    m001_initial,
    m002_usage_rollups,
    m003_log_entries,
    m004_policies,
    m005_streams,
    m006_account_filters,
)

STEPS: tuple[tuple[str, Callable[[Database], None]], ...] = (
    (m001_initial.NAME, m001_initial.migrate),
    (m002_usage_rollups.NAME, m002_usage_rollups.migrate),
    (m003_log_entries.NAME, m003_log_entries.migrate),
    (m004_policies.NAME, m004_policies.migrate),
    (m005_streams.NAME, m005_streams.migrate),
    (m006_account_filters.NAME, m006_account_filters.migrate),
)
"""Every migration in the order it runs: (name recorded in ``_sqlite_migrations``, function)."""

MIGRATIONS = Migrations("tokenwallet")
for _name, _migrate in STEPS:
    MIGRATIONS(name=_name)(_migrate)
