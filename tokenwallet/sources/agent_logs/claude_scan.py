"""Scan the unread part of one Claude Code transcript: decode, check, collapse repeats, price.

:func:`scan_file` is a pure function of the file's bytes and the price catalog, so an import runs
it for many files in worker processes at once (``tokenwallet.sync.log_import.claude_import``) and
only de-duplicates and writes in the importing process.  Its result is plain tuples, cheap to send between processes.

The fast path decodes the whole unread part in one ``msgspec`` call.  A file that call refuses
(a cut or corrupt line, invalid UTF-8, a line of an unexpected shape) or that has usage lines
without a ``message.id`` is read again line by line, where each bad line is skipped and counted.
Both paths apply the same rules (:func:`claude_code.entry_from_line`), so they import the same.
"""

from __future__ import annotations

import codecs
import mmap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from tokenwallet.ledger.log_entries import FAST, HAS_SPEED, SIDECHAIN, Moves, add_moves, key_hash, request_hash
from tokenwallet.sources.agent_logs.claude_code import (
    DECODER,
    PREFILTER,
    Line,
    Malformed,
    Message,
    Rejected,
    Usage,
    entry_from_line,
)
from tokenwallet.sources.agent_logs.common import HEAD_BYTES, head_digest, no_cycle_collection
from tokenwallet.sources.pricing import SYNTHETIC, ModelRates, PriceBook

RawEntry = tuple[Any, ...]
"""One entry as a ``ledger.log_entries`` row (``claude_code.Entry.of`` makes the entry)."""

_MMAP_MIN = 32 << 20  # larger tails are mapped rather than copied, so memory stays bounded
_SLICE = 1 << 20

_book: PriceBook | None = None


def _prices() -> PriceBook:
    """One price book per process: worker processes resolve each (model, day) once, too."""
    global _book
    if _book is None:
        _book = PriceBook(provider_id="anthropic")
    return _book


@dataclass(slots=True)
class FileScan:
    """What one file's unread part held; ``consumed`` is the absolute offset after its last whole line."""

    consumed: int
    bytes_read: int = 0
    lines: int = 0
    usage_lines: int = 0
    malformed: int = 0
    skipped: int = 0
    partial: int = 0
    head: str = ""
    entries: list[RawEntry] = field(default_factory=list)
    # The entries' figures per quarter-hour bucket, summed here in parallel: the importer only
    # corrects for the few entries it does not keep.
    buckets: Moves = field(default_factory=dict)
    unpriced: list[str] = field(default_factory=list)  # models of this file the catalog does not price


class _LineByLine(Exception):
    """The fast path cannot take this buffer; read it line by line."""


class _Collector:
    """Turns decoded usage lines into priced entries, collapsing a response's repeated lines."""

    def __init__(self, scan: FileScan, account_id: str) -> None:
        self.scan = scan
        self.account_id = account_id
        self.book = _prices()
        self.rates: dict[tuple[str, int, str], ModelRates | None] = {}
        self.previous: tuple[object, ...] | None = None

    def add_all(self, lines: list[Line]) -> None:
        """Add the usage lines among ``lines`` (the fast path: every line's offset is unknown)."""
        add = self.add
        previous = self.previous
        repeats = 0
        for line in lines:
            msg = line.message
            if msg and msg.usage:  # UNSET and None are falsy
                # Claude Code writes one line per content block, repeating ids and usage; such a
                # line is the same entry again, and with equal usage the first stays kept
                # (ccusage's tie rule), so it is only counted.
                same = (msg.id, line.requestId, line.isSidechain, msg.usage)
                if same == previous:
                    repeats += 1
                else:
                    previous = same if add(line, msg.usage, None) else None
        self.previous = previous
        self.scan.usage_lines += repeats

    def add_line(self, line: Line, usage: Usage, where: int) -> None:
        """Add one usage line read on its own at absolute offset ``where`` (the line-by-line path)."""
        msg = line.message
        assert isinstance(msg, Message)
        same = (msg.id, line.requestId, line.isSidechain, usage)
        if same == self.previous:
            self.scan.usage_lines += 1
        else:
            self.previous = same if self.add(line, usage, where) else None

    def add(self, line: Line, usage: Usage, where: int | None) -> bool:
        """Add one usage line; ``where`` is its absolute offset (``None`` on the fast path).

        Returns whether the line became an entry keyed by its ids, so that repeats of it can be
        recognised and only counted.
        """
        scan = self.scan
        try:
            at, mid, rid, model, session, cwd, speed, side, inp, out, cread, c5, c1 = entry_from_line(line, usage)
        except Rejected:
            scan.skipped += 1
            return False
        except Malformed:
            scan.malformed += 1
            return False
        scan.usage_lines += 1
        epoch = int(at.timestamp())
        key = (model, epoch // 86_400, speed)
        try:
            rates = self.rates[key]
        except KeyError:
            rates = self.rates[key] = self.book.rates(model, at, variant="fast" if speed == "fast" else "")
        cost: int | None
        if rates is None:
            cost = 0 if model == SYNTHETIC else None
            if cost is None and model not in scan.unpriced:
                scan.unpriced.append(model)
        else:
            cost = rates.cost(input_tokens=inp, output_tokens=out, cache_read=cread, cache_5m=c5, cache_1h=c1)
        if mid:
            mid_hash, rid_hash = key_hash(mid), request_hash(rid)
        elif where is None:
            raise _LineByLine  # a line without message id is keyed by its offset
        else:
            # Never a duplicate of another line: keyed by where it is, so a re-read finds it again.
            mid_hash, rid_hash = key_hash(f"line:{where}:{session}:{at.isoformat()}"), 0
        flags = (SIDECHAIN if side else 0) | (HAS_SPEED if speed else 0) | (FAST if speed == "fast" else 0)
        scan.entries.append(
            (self.account_id, mid_hash, rid_hash, epoch, model, cwd, inp, cread, c5 + c1, c1, out, cost, flags)
        )
        return bool(mid)


def _fast(buf: bytes | memoryview, scan: FileScan, account_id: str) -> None:
    if not _is_utf8(buf):
        raise _LineByLine
    try:
        lines = DECODER.decode_lines(buf)
    except msgspec.DecodeError as exc:
        raise _LineByLine from exc
    _Collector(scan, account_id).add_all(lines)
    scan.lines += len(lines)


def _is_utf8(buf: bytes | memoryview) -> bool:
    """msgspec does not look inside the strings it skips, so the bytes are checked first."""
    if isinstance(buf, bytes) and buf.isascii():
        return True  # the common case, and far cheaper than decoding
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for at in range(0, len(buf), _SLICE):  # in slices, so a mapped file is never copied whole
            decoder.decode(buf[at : at + _SLICE])
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _line_by_line(data: bytes, base: int, scan: FileScan, account_id: str) -> None:
    collect = _Collector(scan, account_id)
    pos = 0
    end = len(data)
    while pos < end:
        nl = data.find(b"\n", pos)
        if nl == -1:
            nl = end
        raw = data[pos:nl]
        if raw.strip():
            scan.lines += 1
            if PREFILTER in raw:
                try:
                    # A line with invalid UTF-8 anywhere is damaged and refused as a whole.
                    raw.decode("utf-8")
                    line = DECODER.decode(raw)
                except (msgspec.DecodeError, UnicodeDecodeError):
                    scan.malformed += 1
                else:
                    msg = line.message
                    if msg and msg.usage:
                        collect.add_line(line, msg.usage, base + pos)
        pos = nl + 1


def _scan_buffer(buf: bytes | memoryview, start: int, scan: FileScan, account_id: str) -> FileScan:
    """Scan complete lines, in one decode when possible; a fresh result when read line by line."""
    try:
        _fast(buf, scan, account_id)
    except _LineByLine:
        scan = FileScan(consumed=start, bytes_read=scan.bytes_read, partial=scan.partial)
        _line_by_line(bytes(buf), start, scan, account_id)
    return scan


def _whole_json(tail: bytes) -> bool:
    if not tail.strip():
        return False
    try:
        msgspec.json.decode(tail)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False
    return True


def _read(fh: BinaryIO, start: int, size: int) -> tuple[bytes | mmap.mmap, int, int]:
    """The file's bytes from ``start`` to ``size``: (buffer, where ``start`` is in it, where ``size`` is)."""
    if size - start >= _MMAP_MIN:
        try:
            return mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_READ), start, size
        except (ValueError, OSError):
            pass  # shrank since it was planned: read what is there
    fh.seek(start)
    data = fh.read(max(0, size - start))
    return data, 0, len(data)


def scan_file(path: str, start: int, size: int, account_id: str = "") -> FileScan:
    """Read ``path`` from ``start`` up to ``size`` bytes and scan its complete lines.

    A last line without its newline is left for the next import (and counted as partial) unless
    it is already a whole JSON value.  ``head`` identifies the file's first bytes up to the new
    offset (see ``common.head_digest``).
    """
    scan = FileScan(consumed=start, bytes_read=max(0, size - start))
    with Path(path).open("rb") as fh:
        if size > start:
            data, first, end = _read(fh, start, size)
            try:
                cut = data.rfind(b"\n", first, end) + 1 or first
                tail = bytes(data[cut:end])
                whole_tail = _whole_json(tail)
                if tail.strip() and not whole_tail:
                    scan.partial = 1
                if isinstance(data, bytes):
                    # Slicing copies; the common file ends with its newline and needs no slice.
                    scan = _scan_buffer(data if (first, cut) == (0, end) else data[first:cut], start, scan, account_id)
                else:
                    with memoryview(data) as whole, whole[first:cut] as view:
                        scan = _scan_buffer(view, start, scan, account_id)
                if whole_tail:
                    _line_by_line(tail, start + cut - first, scan, account_id)
                    cut = end
                scan.consumed = start + cut - first
            finally:
                if isinstance(data, mmap.mmap):
                    data.close()
        fh.seek(0)
        scan.head = head_digest(fh.read(min(scan.consumed, HEAD_BYTES)))
    add_moves(scan.buckets, scan.entries)
    return scan


def scan_files(account_id: str, files: list[tuple[str, int, int]]) -> list[FileScan]:
    """:func:`scan_file` for several (path, start, size) of one account; one task for a worker process."""
    with no_cycle_collection():
        return [scan_file(*args, account_id) for args in files]
