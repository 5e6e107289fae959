"""The Claude Code part of the import: scan files (in worker processes when there is much to
read), de-duplicate against what is already in the ledger, and write rows.

Files are scanned in parallel but their results are taken in plan order, so which of two equal
duplicates is kept does not depend on which worker finished first.  The workers die with the
importing process (``workers``); a file that could not be read is counted and left for the next
import; an account's totals stay within the documented limits (``totals``).

A later import (:func:`import_claude`) judges each entry against the ledger and writes in
batches, one transaction each.  A first import (:func:`stage_claude`, then :meth:`Staged.write`)
holds everything apart from the ledger while it reads, without any lock, and writes it in one
short transaction at the end: most entries come from the scans already serialized
(``staging``) and go into ``log_entries`` with one statement each, its key index built once
afterwards, so the importing process hardly touches them.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.accounts import Account
from tokenwallet.ledger import log_entries, log_files
from tokenwallet.sources import pricing
from tokenwallet.sources.agent_logs import claude_code
from tokenwallet.sources.agent_logs.claude_scan import FileScan, TaskScan
from tokenwallet.sources.agent_logs.common import OVER_ACCOUNT_TOTAL, no_cycle_collection
from tokenwallet.sources.price_table import PriceTable
from tokenwallet.sync.log_import import staging
from tokenwallet.sync.log_import.batch import PROVIDER, SKIP_LINE, ImportSummary, Plan, file_state
from tokenwallet.sync.log_import.cpus import usable_cpus
from tokenwallet.sync.log_import.totals import AccountTotals, admit, moves_totals

if TYPE_CHECKING:
    from concurrent.futures import Future

    from sqlite_utils import Database

PARALLEL_MIN_BYTES = 64 << 20
"""Below this much to read, worker processes cost more to start than they save."""

FLUSH_MESSAGES = 50_000
"""Messages held by the de-duplicator before they are written (or, in a first import, set down)."""
TASK_BYTES = 4 << 20
"""About this much log per task sent to a worker (fewer, larger messages between processes)."""
IN_FLIGHT = 32
"""Tasks queued per worker process: enough that the workers keep scanning while a batch is written."""

scan_files = staging.scan_task  # what a worker runs (a name the tests can replace)

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
        self.unpriced_entries = 0  # ... of them without a price (as written)
        self.unpriced_removed = 0  # entries without a price that were removed

    def add(self, entries: list[log_entries.Row], buckets: log_entries.Moves) -> None:
        """Add entries and their figures per bucket."""
        fresh, groups, flushed = self.fresh, self.dedupe.groups, self.flushed
        log_entries.merge_moves(self.moves, buckets)
        # The ledger can hold entries of a message only if the account had entries before this
        # import or a flush of this one wrote the message; those are looked up together.
        unknown = {raw[1] for raw in entries if raw[1] not in fresh and raw[1] not in groups}
        maybe_stored = unknown if self.prior else unknown & flushed
        stored = log_entries.for_entries(self.db, self.account.id, maybe_stored) if maybe_stored else {}
        for raw in entries:
            mid = raw[1]
            if mid in fresh:
                self._contest(fresh.pop(mid))  # a second entry of the message: now they are compared
            elif mid in groups:
                pass
            elif mid in stored:
                self._seed(mid, stored.pop(mid))  # judged against what the ledger holds
            else:
                fresh[mid] = raw  # a message not seen before (the common case)
                continue
            self._contest(raw)

    def _contest(self, row: log_entries.Row) -> None:
        entry = claude_code.Entry.of(row)
        self.contested.append(entry)
        self.dedupe.add(entry)

    def _seed(self, mid: int, rows: list[log_entries.Row]) -> None:
        from_before = mid not in self.flushed
        for row in rows:
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
        self.unpriced_removed += sum(1 for r in drop if r[11] is None)
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


class Overtaken(Exception):
    """Another import wrote this account's first entries while this first import was reading."""


class Staged:
    """A first import's entries, read and de-duplicated apart from the ledger, written at once.

    Entries the scans set apart are the only entry of their message in their task; when their
    messages are new to the import (the common case) the serialized batch is only kept, never
    opened.  Everything else goes through the :class:`claude_code.Deduper` as in a later import,
    and what it keeps is held as plain rows.  A message seen again after its entries were set
    down (in a batch or by a flush) is judged at the end, against the entries then written:
    ``later`` keeps those entries in the order they came.
    """

    def __init__(self, account: Account, recorded_at: int) -> None:
        self.account, self.recorded_at = account, recorded_at
        self.seen: set[int] = set()  # message hashes of every entry taken so far
        self.parts: list[bytes] = []  # serialized entries set apart by the scans
        self.held: list[log_entries.Row] = []  # entries the de-duplicator kept
        self.fresh: dict[int, log_entries.Row] = {}
        self.dedupe = claude_code.Deduper()
        self.contested: list[claude_code.Entry] = []
        self.moves: log_entries.Moves = {}  # figures of every entry taken but those in ``later``
        self.later: list[log_entries.Row] = []
        self.states: list[log_files.LogFileState] = []
        self.apart_entries = self.apart_unpriced = 0  # in ``parts``

    def add_task(self, task: TaskScan) -> None:
        """Take a task's entries set apart (the entries of its files are given to :meth:`add`)."""
        if not task.apart:
            return
        ids = set(staging.apart_ids(task))  # one pass over the numbers; the checks below reuse them
        if self.seen.isdisjoint(ids):
            self.parts.append(task.apart)
            self.seen |= ids
            self.apart_entries += task.apart_count
            self.apart_unpriced += task.apart_unpriced
        else:  # some of its messages came before: judge them all one by one
            self.add(staging.apart_rows(task, self.account.id))

    def add(self, entries: list[log_entries.Row]) -> None:
        """Take entries one by one, in the order they came (their figures are in ``moves`` already)."""
        fresh, groups, seen = self.fresh, self.dedupe.groups, self.seen
        for raw in entries:
            mid = raw[1]
            if mid in fresh:
                self._contest(fresh.pop(mid))
            elif mid in groups:
                pass
            elif mid in seen:  # set down already: judged at the end, against what is written
                self.later.append(raw)
                continue
            else:
                fresh[mid] = raw
                seen.add(mid)
                continue
            self._contest(raw)

    def _contest(self, row: log_entries.Row) -> None:
        entry = claude_code.Entry.of(row)
        self.contested.append(entry)
        self.dedupe.add(entry)

    @property
    def size(self) -> int:
        """Messages held by the de-duplicator."""
        return len(self.fresh) + len(self.dedupe.groups)

    def flush(self) -> None:
        """Resolve the messages the de-duplicator holds and set their kept entries down."""
        dedupe = self.dedupe
        for mid, group in dedupe.groups.items():
            for entry in [group] if isinstance(group, claude_code.Entry) else dedupe.resolve(mid)[0]:
                entry.written = True
                self.held.append(entry.row)
        self.held.extend(self.fresh.values())
        log_entries.add_moves(self.moves, [e.row for e in self.contested if not e.written], -1)
        self.fresh, self.dedupe, self.contested = {}, claude_code.Deduper(), []

    @contextmanager
    def attached(self, db: Database) -> Iterator[None]:
        """Attach the schema the serialized entries are opened in (outside any transaction)."""
        db.execute(f"ATTACH ':memory:' AS {staging.SCHEMA}")
        try:
            yield
        finally:
            db.execute(f"DETACH {staging.SCHEMA}")

    def write(self, db: Database, summary: ImportSummary) -> list[log_files.LogFileState]:
        """Write everything (inside the caller's transaction, in :meth:`attached`); returns the file states.

        Raises :class:`Overtaken` when the account has entries by now, written by another import.
        """
        account = self.account
        if log_files.has_local_rows(db, account.id):
            raise Overtaken(account.id)
        self.flush()
        log_entries.add_moves(self.moves, self.later, -1)  # judged, and their figures moved, below
        number = log_entries.numbered_account(db, account.id)
        with log_entries.key_index_built_after(db):
            for part in self.parts:
                staging.copy_into_ledger(db.conn, part, number)
            log_entries.insert_new(db, account.id, self.held)
        provider = PROVIDER[account.kind]
        log_entries.apply(db, account.id, provider, [], [], recorded_at=self.recorded_at, moves=self.moves)
        window = _Window(db, account, self.recorded_at, prior=True)
        if self.later:
            window.add(self.later, log_entries.add_moves({}, self.later))
            window.flush()
        held_unpriced = sum(1 for r in self.held if r[11] is None)
        summary.imported = self.apart_entries + len(self.held) + window.added
        summary.unpriced_entries = (
            self.apart_unpriced + held_unpriced + window.unpriced_entries - window.unpriced_removed
        )
        summary.duplicates = max(0, summary.entries - summary.imported)
        return self.states


def worker_count(plans: list[Plan]) -> int:
    """How many worker processes to scan with: none for small reads or a single CPU."""
    todo = sum(max(0, p.stat.st_size - p.start) for p in plans)
    cpus = usable_cpus()
    if todo < PARALLEL_MIN_BYTES or cpus < 2 or len(plans) < 2:
        return 0
    return min(cpus, 4)


def _context() -> Any:
    import multiprocessing  # only when there are workers to start (a small import has none)

    # Forking is cheap and inherits the loaded price catalog, but is only safe while this process
    # has no other threads (the tray app imports from a worker thread); a frozen bundle or another
    # OS starts fresh interpreters instead.
    if sys.platform.startswith("linux") and threading.active_count() == 1 and not getattr(sys, "frozen", False):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _tasks(plans: list[Plan]) -> list[list[Plan]]:
    """Files grouped into tasks of about :data:`TASK_BYTES` (fewer round trips to the workers)."""
    tasks: list[list[Plan]] = []
    size = TASK_BYTES
    for p in plans:
        if size >= TASK_BYTES:
            tasks.append([])
            size = 0
        tasks[-1].append(p)
        size += max(0, p.stat.st_size - p.start)
    return tasks


def _files(task: list[Plan]) -> list[tuple[str, int, int, bool]]:
    return [(str(p.path), p.start, p.stat.st_size, bool(p.state.get(SKIP_LINE))) for p in task]


def scans(
    plans: list[Plan], account_id: str, workers: int, *, apart: bool = False, prices: str = ""
) -> Generator[tuple[list[Plan], TaskScan], None, None]:
    """Each task's plans and scan, in plan order; with ``workers`` the files are scanned in that many processes.

    A bounded number of tasks is in flight, so memory stays small when writing is the slower part.
    ``prices``: the folder of the price table, or ``""`` to ask the price catalog.
    """
    tasks = _tasks(plans)
    if workers == 0:
        for task in tasks:
            yield task, scan_files(account_id, _files(task), apart, prices)
        return
    context = _context()
    if context.get_start_method() == "fork" and not (prices and len(PriceTable(prices))):
        pricing.load_catalog()  # once here rather than once per worker (when no table prices it)
    from tokenwallet.sync.log_import import workers as worker_processes

    with worker_processes.pool(workers, context) as pool:
        pending: deque[tuple[list[Plan], Future[TaskScan]]] = deque()
        todo = iter(tasks)
        for task in todo:
            pending.append((task, pool.submit(scan_files, account_id, _files(task), apart, prices)))
            if len(pending) >= IN_FLIGHT * workers:
                break
        while pending:
            task, future = pending.popleft()
            result = future.result()
            following = next(todo, None)
            if following is not None:
                pending.append((following, pool.submit(scan_files, account_id, _files(following), apart, prices)))
            yield task, result


class _Taker:
    """Takes the scans in plan order: per file the summary and the state to save, per task the totals."""

    def __init__(
        self, db: Database, account: Account, summary: ImportSummary, report: Callable[[int], None], prices: str
    ) -> None:
        self.account, self.summary, self.report, self.prices = account, summary, report, prices
        self.totals = AccountTotals.stored(db, account.id)
        self.states: list[log_files.LogFileState] = []
        self.unpriced: set[str] = set()

    def admit(self, plans: list[Plan], task: TaskScan) -> TaskScan:
        """The task with only the entries within the account's totals (see ``totals``).

        In the common case the task fits as it is; else its files are read again here, without
        setting entries apart, and admitted entry by entry.
        """
        if self.totals.take(*moves_totals(task.buckets)):
            return task
        task = scan_files(self.account.id, _files(plans), False, self.prices)
        task.buckets = {}
        for scan in task.files:
            entries, buckets, over = admit(self.totals, scan.entries, log_entries.add_moves({}, scan.entries))
            scan.entries, scan.usage_lines = entries, scan.usage_lines - over
            self.summary.reject({OVER_ACCOUNT_TOTAL: over})
            log_entries.merge_moves(task.buckets, buckets)
        return task

    def entries(self, plans: list[Plan], task: TaskScan) -> Iterator[list[log_entries.Row]]:
        """The entries of each readable file of ``task``, counted (see :meth:`took`)."""
        for plan, scan in zip(plans, task.files, strict=True):
            if self.took(plan, scan):
                yield scan.entries

    def took(self, plan: Plan, scan: FileScan) -> bool:
        """Count one file's scan; False when it could not be read (it is tried again next time)."""
        summary = self.summary
        if scan.unreadable:
            summary.unreadable(plan.path, scan.unreadable)
            self.report(max(0, plan.stat.st_size - plan.start))
            return False  # no state saved: the next import reads it again
        summary.lines_read += scan.lines
        summary.entries += scan.usage_lines
        summary.malformed += scan.malformed
        summary.skipped += scan.skipped
        summary.partial_lines += scan.partial
        summary.reject(scan.rejected)
        self.unpriced.update(scan.unpriced)
        if scan.skipping:
            plan.state[SKIP_LINE] = True
        else:
            plan.state.pop(SKIP_LINE, None)
        self.states.append(file_state(self.account, plan, scan.consumed, scan.head))
        summary.bytes_read += scan.bytes_read
        self.report(scan.bytes_read)
        return True


@no_cycle_collection()
def import_claude(
    db: Database,
    account: Account,
    plans: list[Plan],
    summary: ImportSummary,
    recorded_at: int,
    report: Callable[[int], None],
    prices: str = "",
) -> list[log_files.LogFileState]:
    """Take each file's scan in order, de-duplicate (also against the ledger) and write entries in batches.

    ``prices``: the folder of the price table (``sources.price_table``), or ``""`` to ask the catalog.
    """
    window = _Window(db, account, recorded_at, prior=log_entries.any_for(db, account.id))
    taker = _Taker(db, account, summary, report, prices)
    results = scans(plans, account.id, worker_count(plans), prices=prices)
    try:
        for task_plans, scanned in results:
            task = taker.admit(task_plans, scanned)
            window.add([], task.buckets)
            for entries in taker.entries(task_plans, task):
                window.add(entries, {})
            if window.size >= FLUSH_MESSAGES:
                window.flush()
    finally:
        results.close()  # stops the workers now if the loop ended early
    window.flush()
    summary.imported = window.added + len(window.removed_prior)
    summary.duplicates = max(0, summary.entries - summary.imported)
    summary.unpriced_entries = window.unpriced_entries
    summary.unpriced_models = sorted(taker.unpriced)
    return taker.states


@no_cycle_collection()
def stage_claude(
    db: Database,
    account: Account,
    plans: list[Plan],
    summary: ImportSummary,
    recorded_at: int,
    report: Callable[[int], None],
    prices: str = "",
) -> Staged:
    """Read and de-duplicate a first import without writing the ledger; :meth:`Staged.write` writes it."""
    staged = Staged(account, recorded_at)
    taker = _Taker(db, account, summary, report, prices)
    results = scans(plans, account.id, worker_count(plans), apart=True, prices=prices)
    try:
        for task_plans, scanned in results:
            task = taker.admit(task_plans, scanned)
            log_entries.merge_moves(staged.moves, task.buckets)
            staged.add_task(task)
            for entries in taker.entries(task_plans, task):
                staged.add(entries)
            if staged.size >= FLUSH_MESSAGES:
                staged.flush()
    finally:
        results.close()
    staged.states = taker.states
    summary.unpriced_models = sorted(taker.unpriced)
    return staged
