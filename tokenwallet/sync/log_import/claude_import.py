"""The Claude Code part of the import: scan files (in worker processes when there is much to
read), de-duplicate against what is already in the ledger, and write rows.

Files are scanned in parallel but their results are taken in plan order, so which of two equal
duplicates is kept does not depend on which worker finished first.  The workers die with the
importing process (``workers``); a file that could not be read is counted and left for the next
import; an account's totals stay within the documented limits (``totals``).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import Future
from operator import itemgetter
from typing import Any

from sqlite_utils import Database

from tokenwallet.domain.accounts import Account
from tokenwallet.ledger import log_entries, log_files
from tokenwallet.sources import pricing
from tokenwallet.sources.agent_logs import claude_code
from tokenwallet.sources.agent_logs.claude_scan import FileScan, scan_files
from tokenwallet.sources.agent_logs.common import OVER_ACCOUNT_TOTAL, no_cycle_collection
from tokenwallet.sync.log_import import workers as worker_processes
from tokenwallet.sync.log_import.batch import PROVIDER, SKIP_LINE, ImportSummary, Plan, file_state
from tokenwallet.sync.log_import.totals import AccountTotals, admit

PARALLEL_MIN_BYTES = 64 << 20
"""Below this much to read, worker processes cost more to start than they save."""

FLUSH_MESSAGES = 50_000
"""Messages held in memory before they are written."""
TASK_BYTES = 4 << 20
"""About this much log per task sent to a worker (fewer, larger messages between processes)."""
IN_FLIGHT = 32
"""Tasks queued per worker process: enough that the workers keep scanning while a batch is written."""


_KEY = itemgetter(1)  # the entry hash: rows in this order go into the table in key order


def _entry(row: log_entries.Row) -> claude_code.Entry:
    """An entry as stored (a ``log_entries`` row) back in the de-duplicator."""
    return claude_code.Entry.of(tuple(row), written=True)


class _Window:
    """Entries of the messages seen since the last flush, de-duplicated, then written together.

    Most messages arrive as one entry (the scans collapse a response's repeated lines) and have
    nothing to be compared with: they wait in ``fresh`` as plain rows.  Only a message seen again
    goes through the :class:`claude_code.Deduper`.  Messages written by an earlier flush or an
    earlier import are not kept in memory: a line for one of them (rare: a resumed session, a
    sidechain replay) brings the stored entries back from the ledger and is judged against them.
    A stored entry that loses is removed and its figures leave their bucket; a displaced entry and
    the one replacing it are written in the same batch, since :func:`log_entries.apply` removes
    before it stores.
    """

    def __init__(self, db: Database, account: Account, recorded_at: int, *, prior: bool) -> None:
        self.db, self.account, self.recorded_at = db, account, recorded_at
        self.prior = prior  # the account had entries before this import
        self.fresh: dict[int, log_entries.Row] = {}  # message id -> its only entry so far
        self.dedupe = claude_code.Deduper()
        self.contested: list[claude_code.Entry] = []  # every entry given to the deduper since the last flush
        self.moves: log_entries.Moves = {}  # the figures of every entry received, as the scans summed them
        self.flushed: set[int] = set()  # message ids whose entries are in the ledger
        self.prior_keys: set[tuple[int, int]] = set()  # keys stored before this import (of messages seen)
        self.removed_prior: set[tuple[int, int]] = set()  # ... and removed by it
        self.added = 0  # entries the ledger holds now that it did not before (net of removals)
        self.unpriced_entries = 0

    def add(self, entries: list[log_entries.Row], buckets: log_entries.Moves) -> None:
        """Add one file's entries and their figures per bucket."""
        fresh, groups, flushed = self.fresh, self.dedupe.groups, self.flushed
        log_entries.merge_moves(self.moves, buckets)
        for raw in entries:
            mid = raw[1]
            if mid in fresh:
                self._contest(fresh.pop(mid))  # a second entry of the message: now they are compared
            elif mid in groups:
                pass
            elif self.prior or mid in flushed:
                self._load(mid)
            else:
                fresh[mid] = raw  # a message not seen before (the common case)
                continue
            self._contest(raw)

    def _contest(self, row: log_entries.Row) -> None:
        entry = claude_code.Entry.of(row)
        self.contested.append(entry)
        self.dedupe.add(entry)

    def _load(self, mid: int) -> None:
        from_before = mid not in self.flushed
        for row in log_entries.for_entry(self.db, self.account.id, mid):
            entry = _entry(row)
            if from_before:
                self.prior_keys.add((mid, entry.request_id))
            self.dedupe.seed(entry)

    @property
    def size(self) -> int:
        """Messages held in memory."""
        return len(self.fresh) + len(self.dedupe.groups)

    def flush(self) -> None:
        """Resolve every message held, write what changed, and forget them."""
        dedupe = self.dedupe
        drop = [old.row for old in dedupe.take_replaced()]
        kept: list[claude_code.Entry] = []
        for mid, group in dedupe.groups.items():
            if isinstance(group, claude_code.Entry):
                if not group.written:
                    kept.append(group)
                continue
            best, dropped = dedupe.resolve(mid)
            kept.extend(e for e in best if not e.written)
            drop.extend(e.row for e in dropped if e.written)
        for entry in kept:
            entry.written = True
        put = list(self.fresh.values())
        put.extend(e.row for e in kept)
        put.sort(key=_KEY)  # inserts in key order touch the table's pages in order
        # The scans summed every entry they sent; take off the few that are not stored (lost to a
        # duplicate) and the stored ones being removed.
        moves = log_entries.add_moves(self.moves, [e.row for e in self.contested if not e.written], -1)
        log_entries.add_moves(moves, drop, -1)
        self.unpriced_entries += sum(1 for r in put if r[11] is None)
        if self.prior_keys:
            put_keys = {(r[1], r[2]) for r in put}
            self.removed_prior -= put_keys
            self.removed_prior |= {(r[1], r[2]) for r in drop} & self.prior_keys - put_keys
        with self.db.atomic():
            log_entries.apply(
                self.db,
                self.account.id,
                PROVIDER[self.account.kind],
                put,
                drop,
                recorded_at=self.recorded_at,
                moves=moves,
            )
        # Every key put is new to the ledger once ``drop`` is removed (a stored entry is only
        # written again after it was dropped), so the count moves by exactly this much.
        self.added += len(put) - len(drop)
        self.flushed.update(self.fresh)
        self.flushed.update(dedupe.groups)
        self.fresh, self.dedupe = {}, claude_code.Deduper()
        self.contested, self.moves = [], {}


def worker_count(plans: list[Plan]) -> int:
    """How many worker processes to scan with: none for small reads or a single CPU."""
    todo = sum(max(0, p.stat.st_size - p.start) for p in plans)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if todo < PARALLEL_MIN_BYTES or cpus < 2 or len(plans) < 2:
        return 0
    return min(cpus, 4)


def _context() -> Any:
    # Forking is cheap and inherits the loaded price catalog, but is only safe while this process
    # has no other threads (the tray app imports from a worker thread); a frozen bundle or another
    # OS starts fresh interpreters instead.
    if sys.platform.startswith("linux") and threading.active_count() == 1 and not getattr(sys, "frozen", False):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _tasks(plans: list[Plan]) -> list[list[tuple[str, int, int, bool]]]:
    """Files grouped into tasks of about :data:`TASK_BYTES` (fewer round trips to the workers)."""
    tasks: list[list[tuple[str, int, int, bool]]] = []
    size = TASK_BYTES
    for p in plans:
        if size >= TASK_BYTES:
            tasks.append([])
            size = 0
        tasks[-1].append((str(p.path), p.start, p.stat.st_size, bool(p.state.get(SKIP_LINE))))
        size += max(0, p.stat.st_size - p.start)
    return tasks


def scans(plans: list[Plan], account_id: str, workers: int) -> Generator[FileScan, None, None]:
    """Scan results in plan order; with ``workers`` the files are scanned in that many processes.

    A bounded number of tasks is in flight, so memory stays small when writing is the slower part.
    """
    tasks = [(account_id, files) for files in _tasks(plans)]
    if workers == 0:
        for task in tasks:
            yield from scan_files(*task)
        return
    context = _context()
    if context.get_start_method() == "fork":
        pricing.load_catalog()  # once here rather than once per worker
    with worker_processes.pool(workers, context) as pool:
        pending: deque[Future[list[FileScan]]] = deque()
        todo = iter(tasks)
        for task in todo:
            pending.append(pool.submit(scan_files, *task))
            if len(pending) >= IN_FLIGHT * workers:
                break
        while pending:
            results = pending.popleft().result()
            following = next(todo, None)
            if following is not None:
                pending.append(pool.submit(scan_files, *following))
            yield from results


@no_cycle_collection()
def import_claude(
    db: Database,
    account: Account,
    plans: list[Plan],
    summary: ImportSummary,
    recorded_at: int,
    report: Callable[[int], None],
) -> list[log_files.LogFileState]:
    """Take each file's scan in order, de-duplicate (also against the ledger) and write entries."""
    window = _Window(db, account, recorded_at, prior=log_entries.any_for(db, account.id))
    totals = AccountTotals.stored(db, account.id)
    states: list[log_files.LogFileState] = []
    unpriced: set[str] = set()
    results = scans(plans, account.id, worker_count(plans))
    try:
        for plan, scan in zip(plans, results, strict=True):
            if scan.unreadable:
                summary.unreadable(plan.path, scan.unreadable)
                report(max(0, plan.stat.st_size - plan.start))
                continue  # no state saved: the next import reads it again
            entries, buckets, over = admit(totals, scan.entries, scan.buckets)
            summary.lines_read += scan.lines
            summary.entries += scan.usage_lines - over
            summary.malformed += scan.malformed
            summary.skipped += scan.skipped
            summary.partial_lines += scan.partial
            summary.reject(scan.rejected)
            summary.reject({OVER_ACCOUNT_TOTAL: over})
            window.add(entries, buckets)
            if window.size >= FLUSH_MESSAGES:
                window.flush()
            unpriced.update(scan.unpriced)
            if scan.skipping:
                plan.state[SKIP_LINE] = True
            else:
                plan.state.pop(SKIP_LINE, None)
            states.append(file_state(account, plan, scan.consumed, scan.head))
            summary.bytes_read += scan.bytes_read
            report(scan.bytes_read)
    finally:
        results.close()  # stops the workers now if the loop ended early
    window.flush()
    summary.imported = window.added + len(window.removed_prior)
    summary.duplicates = max(0, summary.entries - summary.imported)
    summary.unpriced_entries = window.unpriced_entries
    summary.unpriced_models = sorted(unpriced)
    return states
