"""The Codex CLI and Gemini CLI part of the import: read each file's new lines, price, write rows.

Each file is read in bounded blocks of complete lines (``sources.agent_logs.lines``); its usage
events become one ``usage`` row each, keyed by file and offset (Codex) or by session and message
(Gemini), so reading a file again upserts the same rows.  Codex rate-limit readings are kept as
plan snapshots.  A file that cannot be read is counted and read again by the next import.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.limits import MAX_MICROS
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
from tokenwallet.ledger import log_files, snapshots
from tokenwallet.ledger.db import dumps
from tokenwallet.sources.agent_logs import codex, gemini
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
from tokenwallet.sources.price_table import PriceTable
from tokenwallet.sources.pricing import PriceBook
from tokenwallet.sync.log_import.batch import PROVIDER, SKIP_LINE, ImportSummary, Plan, Writer, epoch, file_state
from tokenwallet.sync.log_import.totals import AccountTotals

if TYPE_CHECKING:
    from sqlite_utils import Database


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


def import_items(
    db: Database,
    account: Account,
    plans: list[Plan],
    summary: ImportSummary,
    writer: Writer,
    report: Callable[[int], None],
    roots: list[Path],
    prices: str = "",
) -> list[log_files.LogFileState]:
    """Read ``plans`` of a Codex or Gemini account, queue their rows in ``writer`` and count in ``summary``.

    Returns the state to save per file read; a file that could not be read has none.
    """
    book = PriceBook(provider_id=PROVIDER[account.kind], table=PriceTable(prices) if prices else None)
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
                "subscription" if it.extra.get("plan_type") else "estimated",
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
