"""Import agent logs into the ledger: incremental per file, de-duplicated, priced, batched.

This module plans an account's import and runs it (Claude Code in ``claude_import``, Codex CLI
and Gemini CLI in ``items_import``), in one transaction for a first import.

Per file the ledger remembers identity (device, inode, a hash of the first bytes), size and the
offset of the last complete line read.  A file that only grew is read from that offset; one that
shrank or was replaced is read again from the start (rows are upserts on natural keys, so this
never double counts); a file that disappeared is forgotten but its rows stay.  A last line
without its newline is left for the next run unless it is already a whole JSON value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.errors import UserInputError
from tokenwallet.ledger import accounts as accounts_q
from tokenwallet.ledger import log_files, rollups
from tokenwallet.sources.agent_logs import discovery
from tokenwallet.sync.log_import.batch import (
    LABEL,
    PROVIDER,
    ImportSummary,
    Plan,
    Progress,
    Writer,
    account_roots,
    epoch,
    plan_files,
)
from tokenwallet.sync.log_import.claude_import import Overtaken, import_claude, stage_claude
from tokenwallet.sync.log_import.cpus import usable_cpus

if TYPE_CHECKING:
    from sqlite_utils import Database

BULK_CACHE_KIB = 32 * 1024
"""SQLite page cache for a first import (the default 2 MB makes index inserts re-read pages)."""
MAX_SORT_THREADS = 4
"""At most this many helper threads sort for SQLite during an import (see :func:`sort_threads`)."""

__all__ = ["ImportSummary", "Progress", "ensure_detected_accounts", "find_or_create_for_path", "import_account"]


def import_account(
    db: Database,
    account: Account,
    *,
    clock: Clock,
    progress: Progress | None = None,
    price_table: Path | None = None,
) -> ImportSummary:
    """Read what is new in the account's log folders and record it in the ledger.

    Bad lines are skipped and counted, never fatal.  A first import is one transaction; later ones
    write each batch of rows in its own, and file offsets are saved after the rows they cover, so
    an interrupted import re-reads (and upserts) rather than loses lines.  ``price_table``: a
    folder that keeps the rates resolved from the price catalog (``sources.price_table``), so
    that a later process prices without loading the catalog.
    Returns counts for the user (files, lines, entries, duplicates, ...).
    """
    if not account.kind.is_local_log:
        raise UserInputError(f"Account {account.id} is a {account.kind.value} account, not an agent-log folder.")
    roots = [discovery.normalise_root(account.kind, p) for p in account_roots(account)]
    missing = [str(p) for p in roots if not p.is_dir()]
    if len(missing) == len(roots):
        raise UserInputError(f"Log folder not found: {', '.join(missing)}. Check the path or the account's settings.")
    summary = ImportSummary(account_id=account.id, kind=account.kind.value)
    files = list(discovery.log_files(account.kind, roots))
    summary.files = len(files)
    known = log_files.for_account(db, account.id)
    plans = plan_files(account, files, known, summary)
    summary.files_read = len(plans)
    total = sum(max(0, p.stat.st_size - p.start) for p in plans)
    done = 0

    def report(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    now = clock()
    merge = log_files.has_local_rows(db, account.id)
    present = {str(p) for p in files}
    gone = [path for path in known if path not in present]
    prices = "" if price_table is None else str(price_table)

    def run() -> None:
        if account.kind is AccountKind.CLAUDE_CODE:
            states = import_claude(db, account, plans, summary, epoch(now), report, prices)
        else:
            from tokenwallet.sync.log_import.items_import import import_items  # Codex and Gemini only

            writer = Writer(db, account, epoch(now))
            states = import_items(db, account, plans, summary, writer, report, roots, prices)
            summary.imported = writer.written
        with db.atomic():
            log_files.save(db, states, at=now)
            summary.files_forgotten = log_files.forget(db, gone)

    if merge or not plans:
        run()
        return summary
    if account.kind is AccountKind.CLAUDE_CODE:
        try:
            _first_claude_import(db, account, plans, summary, epoch(now), report, gone, now, prices)
        except Overtaken:
            # Another import wrote this account's first entries while this one read: read again
            # as a later import, judged against what that one wrote.
            return import_account(db, account, clock=clock, progress=progress, price_table=price_table)
        return summary
    # A first import can be hundreds of thousands of rows: write them in one transaction (all or
    # nothing) with the rollups summed once at the end instead of by a trigger per row.
    with _bulk_settings(db), db.atomic(), rollups.deferred_for_account(db, account.id):
        run()
    return summary


def _first_claude_import(
    db: Database,
    account: Account,
    plans: list[Plan],
    summary: ImportSummary,
    recorded_at: int,
    report: Callable[[int], None],
    gone: list[str],
    now: datetime,
    prices: str,
) -> None:
    """Read the whole history without a lock, then write it in one short transaction (all or nothing).

    Until that transaction other processes may write the ledger (``usage add`` need not wait for
    the whole import), and its rollups are summed once at the end instead of by a trigger per row.
    """
    staged = stage_claude(db, account, plans, summary, recorded_at, report, prices)
    # The default page cache: the entries are appended and their index sorted in small runs.
    with (
        staged.attached(db),
        _bulk_settings(db, cache_kib=None),
        db.atomic(),
        rollups.deferred_for_account(db, account.id),
    ):
        states = staged.write(db, summary)
        log_files.save(db, states, at=now)
        summary.files_forgotten = log_files.forget(db, gone)


@contextmanager
def _bulk_settings(db: Database, cache_kib: int | None = BULK_CACHE_KIB) -> Iterator[None]:
    """A big page cache (``cache_kib``) keeps the indexes in memory while the rows go in.  Foreign
    keys are not re-checked per row: every row names the account this import just read from the ledger.
    SQLite may sort with helper threads: building the key index of a first import (hundreds of
    thousands of entries) is a sort, and the scanning workers have finished by then."""
    (cache,) = db.execute("PRAGMA cache_size").fetchone()
    (foreign_keys,) = db.execute("PRAGMA foreign_keys").fetchone()
    (threads,) = db.execute("PRAGMA threads").fetchone()
    if cache_kib is not None:
        db.execute(f"PRAGMA cache_size = -{cache_kib}")
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute(f"PRAGMA threads = {sort_threads()}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")
        db.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        db.execute(f"PRAGMA threads = {int(threads)}")


def sort_threads() -> int:
    """Helper threads for SQLite's sorter: one fewer than the processors this process may use (1 to 4)."""
    return max(1, min(MAX_SORT_THREADS, usable_cpus() - 1))


def ensure_detected_accounts(db: Database, *, env: Mapping[str, str], home: Path, at: datetime) -> list[Account]:
    """Turn agent-log folders found on this machine into enabled accounts; returns the accounts created.

    A folder that any account already names -- also a disabled or removed one -- is not added again,
    so turning an account off or removing it sticks.
    """
    kinds = tuple(k.value for k in PROVIDER)
    known = log_files.known_roots(db, kinds)
    created: list[Account] = []
    for kind, roots in discovery.detect(env, home).items():
        fresh = [str(r) for r in roots if str(r) not in known]
        if not fresh:
            continue
        account = Account(
            id=accounts_q.new_account_id(kind),
            kind=kind,
            label=LABEL[kind],
            enabled=True,
            config={"paths": fresh, "detected": True},
        )
        created.append(accounts_q.add(db, account, at=at, actor="system"))
    return created


def find_or_create_for_path(db: Database, kind: AccountKind, path: Path, *, at: datetime) -> Account:
    """The account that reads ``path`` (created, audited, when none does)."""
    root = str(discovery.normalise_root(kind, path).resolve())
    if not Path(root).is_dir():
        raise UserInputError(f"Log folder not found: {path}. Give an existing folder with --path.")
    for account in accounts_q.list_accounts(db):
        paths = account.config.get("paths")
        if account.kind is kind and isinstance(paths, list) and root in [str(p) for p in paths]:
            return account
    account = Account(
        id=accounts_q.new_account_id(kind),
        kind=kind,
        label=f"{LABEL[kind]} ({Path(root).name})",
        config={"paths": [root]},
    )
    return accounts_q.add(db, account, at=at)
