"""The SQLite ledger: the only package with SQL in it.

Open it with :func:`tokenwallet.ledger.db.open_ledger`; the modules beside it hold the queries of
one area each (accounts, usage, snapshots, allowances, sync state, alerts, audit) as functions
that take the ``sqlite_utils.Database``.  Writes are idempotent upserts on natural keys.
Timestamps are stored as integer Unix seconds (UTC); the ``*_view`` views show them as text.
"""
