"""Import agent logs into the ledger: incremental per file, de-duplicated, priced, batched.

Per file the ledger remembers identity (device, inode, a hash of the first bytes), size and the
offset of the last complete line read.  A file that only grew is read from that offset; one that
shrank or was replaced is read again from the start (rows are upserts on natural keys, so this
never double counts); a file that disappeared is forgotten but its rows stay.  A last line
without its newline is left for the next run unless it is already a whole JSON value.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlite_utils import Database

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.limits import MAX_MICROS
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
from tokenwallet.ledger import accounts as accounts_q
from tokenwallet.ledger import log_files, rollups, snapshots
from tokenwallet.ledger.db import dumps
from tokenwallet.sources.agent_logs import codex, discovery, gemini
from tokenwallet.sources.agent_logs.common import (
    COST_OUT_OF_RANGE,
    DOCUMENT_TOO_LARGE,
    HEAD_BYTES,
    LINE_TOO_LONG,
    OVER_ACCOUNT_TOTAL,
    Counts,
    Item,
    head_digest,
)
from tokenwallet.sources.agent_logs.lines import MAX_DOCUMENT_BYTES, LineReader, Unreadable, open_log, read_at
from tokenwallet.sources.pricing import PriceBook
from tokenwallet.sync.log_import.batch import (
    LABEL,
    PROVIDER,
    SKIP_LINE,
    ImportSummary,
    Plan,
    Progress,
    Writer,
    account_roots,
    epoch,
    file_state,
    plan_files,
)
from tokenwallet.sync.log_import.claude_import import import_claude
from tokenwallet.sync.log_import.totals import AccountTotals

BULK_CACHE_KIB = 32 * 1024
"""SQLite page cache for a first import (the default 2 MB makes index inserts re-read pages)."""

__all__ = ["ImportSummary", "Progress", "ensure_detected_accounts", "find_or_create_for_path", "import_account"]


def _codex_priority(roots: list[Path]) -> bool:
    for root in roots:
        config = root / "config.toml"
        if config.is_file():
            try:
                tier = tomllib.loads(config.read_text("utf-8")).get("service_tier")
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
                continue
            if tier in ("priority", "fast"):
                return True
    return False


def _import_items(
    db: Database,
    account: Account,
    plans: list[Plan],
    summary: ImportSummary,
    writer: Writer,
    report: Callable[[int], None],
    roots: list[Path],
    clock: Clock,
) -> list[log_files.LogFileState]:
    book = PriceBook(provider_id=PROVIDER[account.kind])
    variant = "priority" if account.kind is AccountKind.CODEX and _codex_priority(roots) else ""
    totals = AccountTotals.stored(db, account.id)
    states: list[log_files.LogFileState] = []
    windows: dict[tuple[str, object], codex.Window] = {}

    def take(counts: Counts, items: list[Item]) -> None:
        """Count what a reader saw and queue its entries, priced, within the account's limits."""
        summary.lines_read += counts.lines
        summary.entries += counts.entries
        summary.malformed += counts.malformed
        summary.skipped += counts.skipped
        summary.duplicates += counts.duplicates
        summary.reject(counts.rejected)
        for it in items:
            cost = book.cost(
                it.model,
                it.at,
                input_tokens=it.input_tokens,
                output_tokens=it.output_tokens,
                cache_read=it.cached_tokens,
                variant=variant,
            )
            if cost is not None and cost > MAX_MICROS:
                summary.reject({COST_OUT_OF_RANGE: 1})
                summary.entries -= 1
                continue
            if not totals.take(it.input_tokens + it.cached_tokens + it.output_tokens, cost or 0):
                summary.reject({OVER_ACCOUNT_TOTAL: 1})
                summary.entries -= 1
                continue
            if cost is None:
                summary.unpriced_entries += 1
            writer.add(
                it.key,
                epoch(it.at),
                it.model,
                it.input_tokens,
                it.cached_tokens,
                0,
                it.output_tokens,
                it.reasoning_tokens,
                cost,
                it.project,
                dumps(it.extra) if it.extra else "{}",
            )

    def read(fh: BinaryIO, plan: Plan) -> int:
        """Read ``plan``'s part of the open file; returns the offset to continue from next time."""
        project, session = plan.path.parent.parent.name, plan.path.stem
        if account.kind is AccountKind.GEMINI and plan.path.suffix == ".json":
            # A chat document is read whole (it is rewritten as the chat grows), within a limit.
            if plan.stat.st_size > MAX_DOCUMENT_BYTES:
                take(Counts(lines=1, rejected={DOCUMENT_TOO_LARGE: 1}), [])
                return plan.stat.st_size
            data = read_at(fh, 0, plan.stat.st_size)
            doc_items, doc_counts = gemini.read_document(data, project=project, fallback_session=session)
            take(doc_counts, doc_items)
            return len(data)
        reader = LineReader(
            fh, plan.start, plan.stat.st_size, skipping=bool(plan.state.get(SKIP_LINE)), whole_tail=False
        )
        for data, offset in reader:
            items: list[Item]
            if account.kind is AccountKind.CODEX:
                items, wins, counts, _ = codex.read_chunk(
                    data, base_offset=offset, file_key=plan.path.name, state=plan.state
                )
                for win in wins:
                    windows[(win.name, win.resets_at)] = win
            else:
                items, counts, _ = gemini.read_chunk(
                    data, base_offset=offset, project=project, fallback_session=session, state=plan.state
                )
            take(counts, items)
        summary.partial_lines += int(reader.partial)
        summary.reject({LINE_TOO_LONG: reader.too_long})
        if reader.skipping:
            plan.state[SKIP_LINE] = True
        else:
            plan.state.pop(SKIP_LINE, None)
        return reader.consumed

    for plan in plans:
        todo = max(0, plan.stat.st_size - plan.start)
        try:
            fh = open_log(plan.path)
            if fh is None:
                continue  # deleted since it was listed
            with fh:
                consumed = read(fh, plan)
                head = head_digest(read_at(fh, 0, min(consumed, HEAD_BYTES)))
        except Unreadable as exc:
            # Rows already queued from it are upserts keyed by offset: reading it again next time,
            # from the offset saved before, neither loses nor doubles them.
            summary.unreadable(plan.path, str(exc))
            report(todo)
            continue
        states.append(file_state(account, plan, consumed, head))
        summary.bytes_read += todo
        report(todo)
    writer.close()
    if windows:
        snaps = [
            BalanceSnapshot(
                account_id=account.id,
                kind=SnapshotKind.RATE_WINDOW,
                name=w.name,
                observed_at=w.observed_at,
                used_percent=w.used_percent,
                window_minutes=w.window_minutes,
                resets_at=w.resets_at,
                period=f"{w.window_minutes}m" if w.window_minutes else "",
            )
            for w in windows.values()
        ]
        with db.atomic():
            summary.snapshots = snapshots.record(db, snaps)
    summary.unpriced_models = sorted(book.unpriced)
    return states


def import_account(db: Database, account: Account, *, clock: Clock, progress: Progress | None = None) -> ImportSummary:
    """Read what is new in the account's log folders and record it in the ledger.

    Bad lines are skipped and counted, never fatal.  A first import is one transaction; later ones
    write each batch of rows in its own, and file offsets are saved after the rows they cover, so
    an interrupted import re-reads (and upserts) rather than loses lines.
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

    def run() -> None:
        if account.kind is AccountKind.CLAUDE_CODE:
            states = import_claude(db, account, plans, summary, epoch(now), report)
        else:
            writer = Writer(db, account, epoch(now))
            states = _import_items(db, account, plans, summary, writer, report, roots, clock)
            summary.imported = writer.written
        with db.atomic():
            log_files.save(db, states, at=now)
            summary.files_forgotten = log_files.forget(db, gone)

    if merge or not plans:
        run()
        return summary
    # A first import can be hundreds of thousands of rows: write them in one transaction (all or
    # nothing) with the rollups summed once at the end instead of by a trigger per row.
    with _bulk_settings(db), db.atomic(), rollups.deferred_for_account(db, account.id):
        run()
    return summary


@contextmanager
def _bulk_settings(db: Database) -> Iterator[None]:
    """A big page cache keeps the indexes in memory while the rows go in.  Foreign keys are not
    re-checked per row: every row names the account this import just read from the ledger."""
    (cache,) = db.execute("PRAGMA cache_size").fetchone()
    (foreign_keys,) = db.execute("PRAGMA foreign_keys").fetchone()
    db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")
        db.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")


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
