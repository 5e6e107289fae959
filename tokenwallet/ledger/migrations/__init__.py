"""Schema migrations (sqlite-utils ``Migrations``), one frozen module per change, applied in order.

A migration is history: its module carries the SQL and any helper code it needs as they were when
it was written, and imports nothing of tokenwallet outside this package (an import-linter
contract and ``tests/unit/test_ledger_schema.py`` check both).  To change the schema, add a module
``mNNN_what.py`` with ``NAME`` and ``migrate(db)``, append its name to :data:`NAMES`; never edit
a released one.  ``tests/fixtures/ledgers/`` keeps a ledger of each released schema, and the tests
upgrade every one of them to the current schema.

Opening an up-to-date ledger only compares :data:`NAMES` with the names recorded in
``_sqlite_migrations``; the migration modules (and sqlite-utils, which runs them) load only when
one is pending, through :data:`STEPS` and :data:`MIGRATIONS`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    STEPS: tuple[tuple[str, Callable[[Database], None]], ...]
    MIGRATIONS: Migrations

SET = "tokenwallet"
"""The migration set the names are recorded under in ``_sqlite_migrations``."""

NAMES: tuple[str, ...] = (
    "m001_initial",
    "m002_usage_rollups",
    "m003_log_entries",
    "m004_policies",
    "m005_streams",
    "m006_account_filters",
    "m007_log_entries_rowid",
    "m008_log_entry_accounts",
)
"""Every migration in the order it runs; each is the module ``mNNN_what`` whose ``NAME`` is the same."""


def __getattr__(name: str) -> Any:
    """``STEPS`` (name, function) and ``MIGRATIONS`` (the sqlite-utils set), made on first use."""
    if name not in ("STEPS", "MIGRATIONS"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sqlite_utils.migrations import Migrations

    modules = [importlib.import_module(f"{__name__}.{step}") for step in NAMES]
    steps = tuple((module.NAME, module.migrate) for module in modules)
    migrations = Migrations(SET)
    for step, migrate in steps:
        migrations(name=step)(migrate)
    globals().update(STEPS=steps, MIGRATIONS=migrations)
    return globals()[name]
