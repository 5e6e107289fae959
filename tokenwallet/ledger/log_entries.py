"""Per-request entries read from agent logs, and the quarter-hour usage buckets made from them.

A Claude Code corpus holds hundreds of thousands of requests.  Each is kept in ``log_entries``
(keyed by hashes of its ids, in the unique index :data:`KEY_INDEX`) so that later imports can
de-duplicate against it, and the spend is recorded in ``usage`` as one row per (account,
quarter hour, model, project): the rows everything else reads (status, rollups, reports).
Quarter hours keep period boundaries exact in every real time zone (all offsets are multiples
of 15 minutes) while writing a fraction of the rows.

:func:`apply` removes replaced entries, stores new ones and moves the affected buckets by the
difference, so the buckets always equal the sum of the entries.  A first import adds its entries
in bulk (:func:`insert_new` and ``sync.log_import.staging``) with the key index set aside
(:func:`key_index_built_after`), then moves the buckets with :func:`apply`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.blake2 import blake2b
from tokenwallet.ledger import usage
from tokenwallet.ledger.db import insert_rows

if TYPE_CHECKING:
    from sqlite_utils import Database

BUCKET_SECONDS = 900
KEY_INDEX = "log_entries_key"
"""The unique index on (``entry_hash``, ``request_hash``, ``account``) (migrations m007, m008)."""

COLUMNS: tuple[str, ...] = (
    "account_id",
    "entry_hash",
    "request_hash",
    "at",
    "model",
    "project",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "cache_1h_tokens",
    "output_tokens",
    "cost_micros",
    "flags",
)
"""Column order of the row tuples :func:`apply` takes and :func:`for_entries` returns.

In the table the first column is ``account``, the account's number in ``log_accounts``
(:func:`account_number`), which the functions here put in place of ``account_id``."""
STORED_COLUMNS: tuple[str, ...] = ("account", *COLUMNS[1:])
"""The columns of ``log_entries`` in the order of :data:`COLUMNS`."""

SIDECHAIN, HAS_SPEED, FAST = 1, 2, 4
"""Bits of ``flags``."""

Row = tuple[Any, ...]

_INSERT_ENTRIES = f"INSERT INTO log_entries ({', '.join(STORED_COLUMNS)})"
_ON_ENTRY_CONFLICT = "ON CONFLICT (account, entry_hash, request_hash) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in COLUMNS[3:]
)
_DELETE_ENTRY = "DELETE FROM log_entries WHERE account = ? AND entry_hash = ? AND request_hash = ?"
# Buckets move by differences; a bucket whose model has no price stays unpriced (NULL cost).
_ON_BUCKET_CONFLICT = (
    "ON CONFLICT (account_id, source, key) DO UPDATE SET "
    "input_tokens = input_tokens + excluded.input_tokens, "
    "cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens, "
    "cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, "
    "output_tokens = output_tokens + excluded.output_tokens, "
    "requests = requests + excluded.requests, "
    "cost_micros = CASE WHEN cost_micros IS NULL OR excluded.cost_micros IS NULL THEN NULL "
    "ELSE cost_micros + excluded.cost_micros END, "
    "recorded_at = excluded.recorded_at"
)


_SIGNED_64 = struct.Struct(">q").unpack
_BUCKET_KEY = itemgetter(2)  # ``usage.key`` in a ``usage.log_row``


def key_hash(text: str) -> int:
    """A stable signed 64-bit hash of a ``message.id`` (or of a line's own key)."""
    value: int = _SIGNED_64(blake2b(text.encode(), digest_size=8).digest())[0]  # big-endian
    return value


def request_hash(text: str) -> int:
    """A stable 32-bit hash of a ``requestId``: it only tells apart the few requests of one message."""
    return zlib.crc32(text.encode())


def bucket_key(start: int, model: str, project: str) -> str:
    """The ``usage.key`` of a bucket: ``q:<start>:<model>:<project>``."""
    return f"q:{start}:{model}:{project}"


HASHES_PER_QUERY = 500
"""Message hashes looked up per statement by :func:`for_entries` (well under SQLite's 999 variables)."""


def account_number(db: Database, account_id: str) -> int | None:
    """The number ``log_entries`` knows ``account_id`` by; None when it has none (then it has no entries)."""
    row = db.execute("SELECT id FROM log_accounts WHERE account_id = ?", [account_id]).fetchone()
    return None if row is None else int(row[0])


def numbered_account(db: Database, account_id: str) -> int:
    """:func:`account_number`, given to the account first if it has none; call inside the writing transaction."""
    number = account_number(db, account_id)
    if number is None:
        cursor = db.conn.execute("INSERT INTO log_accounts (account_id) VALUES (?)", [account_id])
        number = int(cursor.lastrowid or 0)  # always set after an INSERT into a rowid table
    return number


def _numbered(rows: Iterable[Row], number: int) -> list[Row]:
    """``rows`` with the account's number in place of its id, as the table stores them."""
    return [(number, *r[1:]) for r in rows]


def for_entries(db: Database, account_id: str, entry_hashes: Collection[int]) -> dict[int, list[Row]]:
    """The stored entries of each of ``entry_hashes`` that has any, by message hash (a message has
    several entries when it has several request ids).

    One statement per :data:`HASHES_PER_QUERY` messages: an incremental import asks this of every
    new message, and one query per message cost more than reading the new lines.
    """
    found: dict[int, list[Row]] = {}
    number = account_number(db, account_id)
    if number is None:
        return found
    wanted = list(entry_hashes)
    for at in range(0, len(wanted), HASHES_PER_QUERY):
        chunk = wanted[at : at + HASHES_PER_QUERY]
        rows = db.execute(
            f"SELECT ?, {', '.join(COLUMNS[1:])} FROM log_entries "
            f"WHERE account = ? AND entry_hash IN ({', '.join('?' * len(chunk))})",
            [account_id, number, *chunk],
        ).fetchall()
        for row in rows:
            found.setdefault(row[1], []).append(row)
    return found


@contextmanager
def key_index_built_after(db: Database) -> Iterator[None]:
    """Set the key index aside while many entries are added, and build it again at the end.

    Appending to the table and sorting the keys once costs a fraction of placing each key in the
    index as it comes.  Call inside a transaction: a failure rolls the index back with the rows,
    and other connections never see the table without it.  The rows added must not repeat a key
    (building the index then fails, and so does the transaction).
    """
    found = db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [KEY_INDEX]).fetchone()
    if found is not None:
        db.execute(f"DROP INDEX {KEY_INDEX}")
    yield
    if found is not None:
        db.execute(found[0])


def insert_new(db: Database, account_id: str, rows: Sequence[Row]) -> None:
    """Add entries of ``account_id`` whose keys are not in the ledger (no bucket moves; see
    :func:`apply` for those).  Call inside a transaction."""
    if rows:
        insert_rows(db, _INSERT_ENTRIES, _numbered(rows, numbered_account(db, account_id)))


def any_for(db: Database, account_id: str) -> bool:
    """Whether ``account_id`` has any entries.

    Asked of its buckets, which the account's key in ``usage`` finds at once (the entries' index
    leads with the message hash): an account has a bucket exactly when it has entries, since a
    bucket is removed with its last request.
    """
    row = db.execute(
        "SELECT 1 FROM usage WHERE account_id = ? AND source = 'local_log' AND key >= 'q:' AND key < 'q;' LIMIT 1",
        [account_id],
    ).fetchone()
    return row is not None


Moves = dict[tuple[int, str, str], list[int]]
"""Per bucket (start, model, project): [input, cached, cache write, output, cost, requests, priced (0/1)]."""


def add_moves(moves: Moves, rows: Iterable[Row], sign: int = 1) -> Moves:
    """Add (``sign`` 1) or take off (-1) the figures of entry ``rows`` to ``moves``; returns ``moves``."""
    for r in rows:
        at = r[3]
        key = (at - at % BUCKET_SECONDS, r[4], r[5])
        m = moves.get(key)
        if m is None:
            m = moves[key] = [0, 0, 0, 0, 0, 0, 1]
        m[0] += sign * r[6]
        m[1] += sign * r[7]
        m[2] += sign * r[8]
        m[3] += sign * r[10]
        if r[11] is None:
            m[6] = 0
        else:
            m[4] += sign * r[11]
        m[5] += sign
    return moves


def merge_moves(moves: Moves, more: Moves) -> None:
    """Add the bucket figures ``more`` into ``moves``."""
    for key, add in more.items():
        m = moves.get(key)
        if m is None:
            moves[key] = list(add)
            continue
        for i in range(6):
            m[i] += add[i]
        m[6] &= add[6]


def apply(
    db: Database,
    account_id: str,
    provider: str,
    put: Sequence[Row],
    drop: Sequence[Row],
    *,
    recorded_at: int,
    moves: Moves | None = None,
) -> None:
    """Remove the entries ``drop``, store the entries ``put`` and move the buckets to match.

    ``drop`` must be exactly the stored rows being removed or replaced (as read or written
    earlier), since their figures are taken off their buckets.  A caller that already summed the
    buckets' changes passes them as ``moves``.  Call inside a transaction.
    """
    if put or drop:
        number = numbered_account(db, account_id)
        if drop:
            db.conn.executemany(_DELETE_ENTRY, [(number, r[1], r[2]) for r in drop])
        if put:
            insert_rows(db, _INSERT_ENTRIES, _numbered(put, number), _ON_ENTRY_CONFLICT)
    if moves is None:
        moves = add_moves(add_moves({}, put), drop, -1)
    rows = [
        usage.log_row(
            account_id,
            bucket_key(start, model, project),
            start,
            start + BUCKET_SECONDS,
            provider,
            model,
            (inp, cached, write, out, 0),
            requests,
            cost if priced else None,
            project,
            "{}",
            recorded_at,
        )
        for (start, model, project), (inp, cached, write, out, cost, requests, priced) in moves.items()
        if requests or inp or cached or write or out or cost
    ]
    if not rows:
        return
    rows.sort(key=_BUCKET_KEY)  # in the order of the usage key: the index's pages are touched in turn
    insert_rows(db, usage.INSERT, rows, _ON_BUCKET_CONFLICT)
    if any(r[13] < 0 for r in rows):
        # A bucket whose last request was replaced by one in another bucket is empty now.
        db.conn.executemany(
            "DELETE FROM usage WHERE account_id = ? AND source = 'local_log' AND key = ? AND requests <= 0",
            [(account_id, r[2]) for r in rows if r[13] < 0],
        )
