"""Import agent logs into the ledger: incremental per file, de-duplicated, priced, batched.

Per file the ledger remembers identity (device, inode, a hash of the first bytes), size and the
offset of the last complete line read.  A file that only grew is read from that offset; one that
shrank or was replaced is read again from the start (rows are upserts on natural keys, so this
never double counts); a file that disappeared is forgotten but its rows stay.  A last line
without its newline is left for the next run unless it is already a whole JSON value.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import sqlite3
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlite_utils import Database

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
from tokenwallet.ledger import accounts as accounts_q
from tokenwallet.ledger import log_files, snapshots
from tokenwallet.ledger.db import dumps
from tokenwallet.sources.agent_logs import claude_code, codex, discovery, gemini
from tokenwallet.sources.agent_logs.common import Counts, Item
from tokenwallet.sources.pricing import PriceBook

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, bytes to read in total)."""

BATCH_ROWS = 20_000
_HEAD_BYTES = 1024
_PROVIDER = {AccountKind.CLAUDE_CODE: "anthropic", AccountKind.CODEX: "openai", AccountKind.GEMINI: "google"}
_LABEL = {
    AccountKind.CLAUDE_CODE: "Claude Code logs",
    AccountKind.CODEX: "Codex CLI logs",
    AccountKind.GEMINI: "Gemini CLI logs",
}


@dataclass(slots=True)
class ImportSummary:
    """What one import did; ``unpriced_models`` had no price and were stored as unpriced."""

    account_id: str
    kind: str
    files: int = 0
    files_read: int = 0
    files_forgotten: int = 0
    bytes_read: int = 0
    lines_read: int = 0
    entries: int = 0
    imported: int = 0
    duplicates: int = 0
    malformed: int = 0
    skipped: int = 0
    partial_lines: int = 0
    unpriced_entries: int = 0
    unpriced_models: list[str] = field(default_factory=list)
    snapshots: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON output."""
        return asdict(self)

    def add(self, other: ImportSummary) -> None:
        """Fold another account's summary into this one (for a CLI total)."""
        for name in (
            "files",
            "files_read",
            "files_forgotten",
            "bytes_read",
            "lines_read",
            "entries",
            "imported",
            "duplicates",
            "malformed",
            "skipped",
            "partial_lines",
            "unpriced_entries",
            "snapshots",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unpriced_models = sorted(set(self.unpriced_models) | set(other.unpriced_models))


@dataclass(slots=True)
class _Plan:
    path: Path
    stat: os.stat_result
    start: int
    state: dict[str, Any]


def account_roots(account: Account) -> list[Path]:
    """The log folders an account reads (``config["paths"]``)."""
    paths = account.config.get("paths", [])
    if not isinstance(paths, list) or not paths:
        raise UserInputError(
            f"Account {account.id} has no log folder. "
            f"Set one with `tokenwallet import {account.kind.value} --path DIR`."
        )
    return [Path(str(p)) for p in paths]


def _head_hash(path: Path, length: int) -> str:
    with path.open("rb") as fh:
        head = fh.read(length)
    return f"{len(head)}:{hashlib.blake2b(head, digest_size=16).hexdigest()}"


def _plan(account: Account, files: list[Path], known: dict[str, log_files.LogFileState]) -> list[_Plan]:
    plans: list[_Plan] = []
    for path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        prior = known.get(str(path))
        if prior is not None and prior.device == st.st_dev and prior.inode == st.st_ino and st.st_size >= prior.offset:
            if st.st_size == prior.size and st.st_mtime_ns == prior.mtime_ns:
                continue  # unchanged since the last import
            length = int(prior.head_hash.split(":", 1)[0]) if ":" in prior.head_hash else 0
            whole_doc = account.kind is AccountKind.GEMINI and path.suffix == ".json"
            if not whole_doc and _head_hash(path, length) == prior.head_hash:
                plans.append(_Plan(path, st, prior.offset, dict(prior.state)))
                continue
        plans.append(_Plan(path, st, 0, {}))  # new, rotated, truncated or rewritten: read it all
    return plans


def _read_tail(plan: _Plan) -> bytes:
    with plan.path.open("rb") as fh:
        fh.seek(plan.start)
        return fh.read(max(0, plan.stat.st_size - plan.start))


def _trailing_is_whole(data: bytes, consumed: int) -> bool:
    tail = data[consumed:]
    if not tail.strip():
        return False
    try:
        msgspec.json.decode(tail)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False
    return True


class _Writer:
    """Buffers ledger rows and writes them in batches, one transaction each.

    With ``background`` the batches are written by one worker thread while the caller keeps
    parsing: sqlite3 releases the GIL while it steps a statement, so parsing and writing overlap.
    Only used when nothing else touches the connection meanwhile (a first import).
    """

    def __init__(self, db: Database, account: Account, recorded_at: int, *, background: bool = False) -> None:
        self.db = db
        self.account = account
        self.recorded_at = recorded_at
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.batch = BATCH_ROWS
        self._queue: queue.Queue[list[tuple[Any, ...]] | None] | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._unwritten: list[list[tuple[Any, ...]]] = []
        if background:
            self.batch = BATCH_ROWS // 4
            self._queue = queue.Queue(maxsize=4)
            self._thread = threading.Thread(target=self._work, name="log-import-writer", daemon=True)
            self._thread.start()

    def add(
        self,
        key: str,
        epoch: int,
        model: str,
        inp: int,
        cached: int,
        write: int,
        out: int,
        reasoning: int,
        cost: int | None,
        project: str,
        extra: str,
    ) -> None:
        """Queue one usage row (columns in ``ledger.usage.COLUMNS`` order)."""
        self.rows.append(
            (
                self.account.id,
                "local_log",
                key,
                epoch,
                epoch,
                _PROVIDER[self.account.kind],
                model,
                "estimated",
                inp,
                cached,
                write,
                out,
                reasoning,
                1,
                cost,
                "USD",
                "",
                project,
                "",
                "",
                extra,
                self.recorded_at,
            )
        )
        if len(self.rows) >= self.batch:
            self.flush()

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        with self.db.atomic():
            self.written += log_files.upsert_usage_batch(self.db, rows)

    def _work(self) -> None:
        assert self._queue is not None
        while (rows := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._write(rows)
                    continue
                except BaseException as exc:  # handed to the caller in close()
                    self._error = exc
            self._unwritten.append(rows)

    def flush(self) -> None:
        """Write (or hand to the worker) what is buffered."""
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        if self._queue is not None:
            self._queue.put(rows)
        else:
            self._write(rows)

    def close(self) -> None:
        """Write everything still buffered and stop the worker; re-raise what it hit."""
        self.flush()
        if self._queue is None or self._thread is None:
            return
        self._queue.put(None)
        self._thread.join()
        self._queue = self._thread = None
        if self._error is not None:
            if not isinstance(self._error, sqlite3.ProgrammingError):
                raise self._error
            # A connection bound to its creating thread (an in-memory ledger): write here instead.
            for rows in self._unwritten:
                self._write(rows)
        self._unwritten = []


def _epoch(at: datetime) -> int:
    return int((at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp())


def _claude_entry_from_row(row: tuple[Any, ...]) -> claude_code.Entry:
    key, epoch, model, inp, cached, write, out, extra_text, project = row
    extra = json.loads(extra_text) if extra_text and extra_text != "{}" else {}
    mid, _, rid = key.partition("/")
    c1 = int(extra.get("c1h", 0))
    return claude_code.Entry(
        message_id=mid,
        request_id=rid,
        timestamp=datetime.fromtimestamp(epoch, UTC),
        model=model,
        session_id=str(extra.get("session", "")),
        cwd=project,
        sidechain=bool(extra.get("sidechain")),
        fast=extra.get("speed") == "fast",
        has_speed=bool(extra.get("speed")),
        input_tokens=inp,
        output_tokens=out,
        cache_read=cached,
        cache_5m=write - c1,
        cache_1h=c1,
    )


def _claude_rows(entry: claude_code.Entry, key: str, book: PriceBook, writer: _Writer, summary: ImportSummary) -> None:
    variant = "fast" if entry.fast else ""
    cost = book.cost(
        entry.model,
        entry.timestamp,
        input_tokens=entry.input_tokens,
        output_tokens=entry.output_tokens,
        cache_read=entry.cache_read,
        cache_5m=entry.cache_5m,
        cache_1h=entry.cache_1h,
        variant=variant,
    )
    if cost is None:
        summary.unpriced_entries += 1
    extra: dict[str, object] = {}
    if entry.sidechain:
        extra["sidechain"] = True
    if entry.has_speed:
        extra["speed"] = "fast" if entry.fast else "standard"
    if entry.cache_1h:
        extra["c1h"] = entry.cache_1h
    writer.add(
        key,
        _epoch(entry.timestamp),
        entry.model,
        entry.input_tokens,
        entry.cache_read,
        entry.cache_5m + entry.cache_1h,
        entry.output_tokens,
        0,
        cost,
        entry.cwd,
        dumps(extra) if extra else "{}",
    )


def _import_claude(
    db: Database,
    account: Account,
    plans: list[_Plan],
    summary: ImportSummary,
    merge: bool,
    writer: _Writer,
    report: Callable[[int], None],
) -> list[log_files.LogFileState]:
    """Parse new lines file by file; after each file write the rows whose kept entry changed.

    With ``merge`` (the account already has rows) each touched message id is first merged with
    its stored rows, so a duplicate seen in a later run is judged against the line kept earlier.
    """
    dedupe = claude_code.Deduper()
    book = PriceBook(provider_id="anthropic")
    states: list[log_files.LogFileState] = []
    stored: set[str] = set()
    seeded: set[str] = set()
    stale: set[str] = set()

    def emit() -> None:
        for mid in dedupe.take_dirty():
            if merge and mid not in seeded:
                seeded.add(mid)
                for row in log_files.rows_with_key_prefix(db, account.id, mid + "/"):
                    old = _claude_entry_from_row(row)
                    old.written = True
                    stored.add(row[0])
                    dedupe.seed(old)
            kept, dropped = dedupe.resolve(mid)
            for entry in kept:
                if not entry.written:
                    entry.written = True
                    key = f"{mid}/{entry.request_id}"
                    stale.discard(key)
                    _claude_rows(entry, key, book, writer, summary)
            for rid in dropped:
                stale.add(f"{mid}/{rid}")

    loose = 0
    for plan in plans:
        data = _read_tail(plan)
        consumed = data.rfind(b"\n") + 1
        if _trailing_is_whole(data, consumed):
            data += b"\n"
            consumed = len(data)
        elif consumed < len(data) and data[consumed:].strip():
            summary.partial_lines += 1
        summary.lines_read += data.count(b"\n", 0, consumed)
        find = data.find
        prefilter = claude_code.PREFILTER
        parse = claude_code.parse_line
        signature = claude_code.duplicate_signature
        previous = b""
        idx = find(prefilter, 0, consumed)
        while idx != -1:
            ls = data.rfind(b"\n", 0, idx) + 1
            le = find(b"\n", idx)
            sig = signature(data, ls, le, idx)
            if sig and sig == previous:
                summary.entries += 1  # the same response's next content block: same entry again
                idx = find(prefilter, le + 1, consumed)
                continue
            previous = b""
            try:
                entry = parse(data[ls:le])
            except claude_code.Rejected:
                summary.skipped += 1
            except (msgspec.DecodeError, UnicodeDecodeError):
                summary.malformed += 1
            else:
                if entry is not None:
                    summary.entries += 1
                    if entry.message_id:
                        dedupe.add(entry)
                        previous = sig
                    else:
                        loose += 1
                        key = f"line:{plan.start + ls}:{entry.session_id}:{entry.timestamp.isoformat()}"
                        _claude_rows(entry, key, book, writer, summary)
            idx = find(prefilter, le + 1, consumed)
        emit()
        states.append(_state(account, plan, plan.start + min(consumed, plan.stat.st_size)))
        summary.bytes_read += len(data)
        report(len(data))
        del data
    writer.close()
    if stale:
        with db.atomic():
            log_files.delete_keys(db, account.id, sorted(stale))
    new_keys = sum(1 for mid in dedupe.groups for e in dedupe.resolve(mid)[0] if f"{mid}/{e.request_id}" not in stored)
    summary.duplicates = max(0, summary.entries - loose - new_keys)
    summary.imported = new_keys + loose
    summary.unpriced_models = sorted(book.unpriced)
    return states


def _state(account: Account, plan: _Plan, offset: int) -> log_files.LogFileState:
    return log_files.LogFileState(
        path=str(plan.path),
        account_id=account.id,
        device=plan.stat.st_dev,
        inode=plan.stat.st_ino,
        size=plan.stat.st_size,
        offset=offset,
        mtime_ns=plan.stat.st_mtime_ns,
        head_hash=_head_hash(plan.path, min(offset, _HEAD_BYTES)),
        state=plan.state,
    )


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
    plans: list[_Plan],
    summary: ImportSummary,
    writer: _Writer,
    report: Callable[[int], None],
    roots: list[Path],
    clock: Clock,
) -> list[log_files.LogFileState]:
    book = PriceBook(provider_id=_PROVIDER[account.kind])
    variant = "priority" if account.kind is AccountKind.CODEX and _codex_priority(roots) else ""
    states: list[log_files.LogFileState] = []
    windows: dict[tuple[str, object], codex.Window] = {}
    for plan in plans:
        data = _read_tail(plan)
        items: list[Item]
        counts: Counts
        if account.kind is AccountKind.CODEX:
            items, wins, counts, consumed = codex.read_chunk(
                data, base_offset=plan.start, file_key=plan.path.name, state=plan.state
            )
            for win in wins:
                windows[(win.name, win.resets_at)] = win
        elif plan.path.suffix == ".json":
            items, counts = gemini.read_document(
                data, project=plan.path.parent.parent.name, fallback_session=plan.path.stem
            )
            consumed = len(data)
        else:
            items, counts, consumed = gemini.read_chunk(
                data,
                base_offset=plan.start,
                project=plan.path.parent.parent.name,
                fallback_session=plan.path.stem,
                state=plan.state,
            )
        if consumed < len(data) and data[consumed:].strip():
            summary.partial_lines += 1
        summary.lines_read += counts.lines
        summary.entries += counts.entries
        summary.malformed += counts.malformed
        summary.skipped += counts.skipped
        summary.duplicates += counts.duplicates
        for it in items:
            cost = book.cost(
                it.model,
                it.at,
                input_tokens=it.input_tokens,
                output_tokens=it.output_tokens,
                cache_read=it.cached_tokens,
                variant=variant,
            )
            if cost is None:
                summary.unpriced_entries += 1
            writer.add(
                it.key,
                _epoch(it.at),
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
        states.append(_state(account, plan, plan.start + consumed))
        summary.bytes_read += len(data)
        report(len(data))
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

    Bad lines are skipped and counted, never fatal.  Each batch of rows is one transaction; file
    offsets are saved after the rows they cover, so an interrupted import re-reads (and upserts)
    rather than loses lines.  Returns counts for the user (files, lines, entries, duplicates, ...).
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
    plans = _plan(account, files, known)
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
    writer = _Writer(db, account, _epoch(now), background=not merge and bool(plans))
    if account.kind is AccountKind.CLAUDE_CODE:
        states = _import_claude(db, account, plans, summary, merge, writer, report)
    else:
        states = _import_items(db, account, plans, summary, writer, report, roots, clock)
    if account.kind is not AccountKind.CLAUDE_CODE:
        summary.imported = writer.written
    present = {str(p) for p in files}
    gone = [path for path in known if path not in present]
    with db.atomic():
        log_files.save(db, states, at=now)
        summary.files_forgotten = log_files.forget(db, gone)
    return summary


def ensure_detected_accounts(db: Database, *, env: Mapping[str, str], home: Path, at: datetime) -> list[Account]:
    """Turn agent-log folders found on this machine into enabled accounts; returns the accounts created.

    A folder that any account already names -- also a disabled or removed one -- is not added again,
    so turning an account off or removing it sticks.
    """
    kinds = tuple(k.value for k in _PROVIDER)
    known = log_files.known_roots(db, kinds)
    created: list[Account] = []
    for kind, roots in discovery.detect(env, home).items():
        fresh = [str(r) for r in roots if str(r) not in known]
        if not fresh:
            continue
        account = Account(
            id=accounts_q.new_account_id(kind),
            kind=kind,
            label=_LABEL[kind],
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
        label=f"{_LABEL[kind]} ({Path(root).name})",
        config={"paths": [root]},
    )
    return accounts_q.add(db, account, at=at)
