"""Entries a first import sets apart: scanned, serialized and written to the ledger in one statement.

Most entries of a first import are the only entry of their message: nothing needs judging, so
the importing process should not touch them one by one.  The worker that scans them therefore
writes them into a private in-memory SQLite database and sends that database, serialized (a few
dozen bytes per entry); the importing process keeps the bytes and, when it writes the import,
copies each into ``log_entries`` with one ``INSERT ... SELECT``.  Only the message hashes come
along as numbers, so that a message seen again in a later file is still recognised.
"""

from __future__ import annotations

import contextlib
import sqlite3
from array import array
from collections import Counter
from operator import itemgetter

from tokenwallet.ledger.log_entries import COLUMNS, SIDECHAIN, STORED_COLUMNS
from tokenwallet.sources.agent_logs.claude_scan import RawEntry, TaskScan, scan_files

SCHEMA = "apart"
"""The attached in-memory schema a serialized database is opened in (see :func:`copy_into_ledger`)."""
TABLE = "entries"
"""The table of a serialized database of entries set apart: the ``log_entries`` columns but ``account_id``."""
_COLUMNS = ", ".join(COLUMNS[1:])
_MID = itemgetter(1)
_MARKS = ", ".join(f"?{n}" for n in range(2, len(COLUMNS) + 1))  # every column of a row but account_id (?1)


def scan_task(
    account_id: str, files: list[tuple[str, int, int, bool]], apart: bool = False, prices: str = ""
) -> TaskScan:
    """``claude_scan.scan_files``; with ``apart``, the entries that need no judging are set apart."""
    task = scan_files(account_id, files, prices)
    if apart:
        set_apart(task)
    return task


def set_apart(task: TaskScan) -> None:
    """Move the entries of messages seen once in ``task``, none of them a sidechain, into ``task.apart``."""
    rows = [row for scan in task.files for row in scan.entries]
    sightings = Counter(map(_MID, rows))
    # A sidechain line counts as a second sighting: its message is judged with the others.
    sidechains = [row[1] for row in rows if row[12] & SIDECHAIN]
    sightings.update(sidechains)
    if not sidechains and len(sightings) == len(rows):  # every message once, none a sidechain: all of them
        alone = rows
        for scan in task.files:
            scan.entries = []
    else:
        alone = [row for row in rows if sightings[row[1]] == 1]
        for scan in task.files:
            scan.entries = [row for row in scan.entries if sightings[row[1]] != 1]
    if not alone:
        return
    with contextlib.closing(sqlite3.connect(":memory:", isolation_level=None)) as conn:
        conn.execute(f"CREATE TABLE {TABLE} ({_COLUMNS})")
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO {TABLE} VALUES ({_MARKS})", alone)
        conn.execute("COMMIT")
        task.apart = conn.serialize()
    task.apart_ids = array("q", [row[1] for row in alone]).tobytes()
    task.apart_count = len(alone)
    task.apart_unpriced = sum(1 for row in alone if row[11] is None)


def apart_ids(task: TaskScan) -> array[int]:
    """The message hashes of the entries set apart in ``task``."""
    ids = array("q")
    ids.frombytes(task.apart_ids)
    return ids


def apart_rows(task: TaskScan, account_id: str) -> list[RawEntry]:
    """The entries set apart in ``task``, as ``ledger.log_entries`` rows of ``account_id``, in scan order."""
    if not task.apart:
        return []
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        conn.deserialize(task.apart)
        rows: list[RawEntry] = conn.execute(f"SELECT ?, * FROM {TABLE} ORDER BY rowid", [account_id]).fetchall()
        return rows


def copy_into_ledger(conn: sqlite3.Connection, task_apart: bytes, account: int) -> None:
    """Insert the entries of one serialized database into ``log_entries`` (inside the caller's transaction).

    ``account``: the account's number (``log_entries.numbered_account``).  The database is opened
    as the attached schema :data:`SCHEMA`, which must exist (``ATTACH`` cannot run inside a
    transaction).
    """
    conn.deserialize(task_apart, name=SCHEMA)
    conn.execute(
        f"INSERT INTO main.log_entries ({', '.join(STORED_COLUMNS)}) SELECT ?, * FROM {SCHEMA}.{TABLE}", [account]
    )
