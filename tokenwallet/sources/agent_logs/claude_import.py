"""The Claude Code part of the import: parse new lines, de-duplicate against the ledger, write rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlite_utils import Database

from tokenwallet.domain.accounts import Account
from tokenwallet.ledger import log_files
from tokenwallet.ledger.db import dumps
from tokenwallet.sources.agent_logs import claude_code
from tokenwallet.sources.agent_logs.batch import (
    ImportSummary,
    Plan,
    Writer,
    epoch,
    file_state,
    read_tail,
    trailing_is_whole,
)
from tokenwallet.sources.pricing import PriceBook


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


def _claude_rows(entry: claude_code.Entry, key: str, book: PriceBook, writer: Writer, summary: ImportSummary) -> None:
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
        epoch(entry.timestamp),
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


def import_claude(
    db: Database,
    account: Account,
    plans: list[Plan],
    summary: ImportSummary,
    merge: bool,
    writer: Writer,
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
        data = read_tail(plan)
        consumed = data.rfind(b"\n") + 1
        if trailing_is_whole(data, consumed):
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
        states.append(file_state(account, plan, plan.start + min(consumed, plan.stat.st_size)))
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
