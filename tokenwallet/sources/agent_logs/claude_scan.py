"""Scan the unread part of one Claude Code transcript: decode, check, collapse repeats, price.

:func:`scan_file` is a pure function of the file's bytes and the price catalog, so an import runs
it for many files in worker processes at once (``tokenwallet.sync.log_import.claude_import``) and
only de-duplicates and writes in the importing process.  Its result is plain tuples, cheap to send between processes.

The file is read in bounded blocks of complete lines (``lines.LineReader``: a line longer than
``MAX_LINE_BYTES`` is skipped unread and counted), and the fast path decodes each block, usually
the whole unread part, in one ``msgspec`` call.  A block that call refuses (a cut or corrupt line,
invalid UTF-8, a line of an unexpected shape or nested too deeply) or that has usage lines without
a ``message.id`` is read again line by line, where each bad line is skipped and counted.  Both
paths apply the same rules (:func:`claude_code.entry_from_line`), so they import the same.  Token
counts, times and costs outside ``domain.limits`` reject their line; a file that cannot be read
is reported as unreadable rather than failing the import.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import msgspec

from tokenwallet.domain.limits import MAX_EPOCH, MAX_MICROS, MIN_EPOCH
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
from tokenwallet.sources.agent_logs.common import (
    COST_OUT_OF_RANGE,
    HEAD_BYTES,
    LINE_TOO_LONG,
    NESTED_TOO_DEEPLY,
    TIME_OUT_OF_RANGE,
    OutOfRange,
    add_rejected,
    head_digest,
    no_cycle_collection,
)
from tokenwallet.sources.agent_logs.lines import LineReader, Unreadable, open_log, read_at
from tokenwallet.sources.pricing import SYNTHETIC, ModelRates, PriceBook

RawEntry = tuple[Any, ...]
"""One entry as a ``ledger.log_entries`` row (``claude_code.Entry.of`` makes the entry)."""

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
    """What one file's unread part held; ``consumed`` is the absolute offset after its last whole line.

    ``rejected`` counts lines by reason (``common.REJECT_REASONS``); ``skipping`` says the part
    ended inside a line too long to read (the next import skips to its end); ``unreadable`` is
    why the file could not be read (then nothing else is filled in).
    """

    consumed: int
    bytes_read: int = 0
    lines: int = 0
    usage_lines: int = 0
    malformed: int = 0
    skipped: int = 0
    partial: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    skipping: bool = False
    unreadable: str = ""
    head: str = ""
    entries: list[RawEntry] = field(default_factory=list)
    # The entries' figures per quarter-hour bucket, summed here in parallel: the importer only
    # corrects for the few entries it does not keep.
    buckets: Moves = field(default_factory=dict)
    unpriced: list[str] = field(default_factory=list)  # models of this file the catalog does not price


class _LineByLine(Exception):
    """The fast path cannot take this block; read it line by line."""


class _Collector:
    """Turns decoded usage lines into priced entries, collapsing a response's repeated lines."""

    def __init__(self, scan: FileScan, account_id: str) -> None:
        self.scan = scan
        self.account_id = account_id
        self.book = _prices()
        self.rates: dict[tuple[str, int, str], ModelRates | None] = {}
        self.previous: tuple[object, ...] | None = None

    def block(self, data: bytes | memoryview, offset: int) -> None:
        """Scan a block of complete lines starting at file offset ``offset``: in one decode when possible."""
        scan = self.scan
        mark = (
            len(scan.entries),
            len(scan.unpriced),
            scan.lines,
            scan.usage_lines,
            scan.malformed,
            scan.skipped,
            dict(scan.rejected),
            self.previous,
        )
        try:
            self.fast(data)
        except _LineByLine:
            del scan.entries[mark[0] :], scan.unpriced[mark[1] :]
            scan.lines, scan.usage_lines, scan.malformed, scan.skipped, scan.rejected, self.previous = mark[2:]
            self.line_by_line(bytes(data), offset)

    def fast(self, buf: bytes | memoryview) -> None:
        """Decode every line of ``buf`` at once; raises :class:`_LineByLine` when that cannot be done."""
        if not _is_utf8(buf):
            raise _LineByLine
        try:
            lines = DECODER.decode_lines(buf)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise _LineByLine from exc
        self.add_all(lines)
        self.scan.lines += len(lines)

    def line_by_line(self, data: bytes, base: int) -> None:
        """Read ``data`` (lines starting at file offset ``base``) one line at a time, counting bad ones."""
        scan = self.scan
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
                    except RecursionError:
                        add_rejected(scan.rejected, NESTED_TOO_DEEPLY)
                    else:
                        msg = line.message
                        if msg and msg.usage:
                            self.add_line(line, msg.usage, base + pos)
            pos = nl + 1

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
        except OutOfRange as exc:
            add_rejected(scan.rejected, exc.reason)
            return False
        epoch = int(at.timestamp())
        if not MIN_EPOCH <= epoch < MAX_EPOCH:
            add_rejected(scan.rejected, TIME_OUT_OF_RANGE)
            return False
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
            if cost > MAX_MICROS:
                add_rejected(scan.rejected, COST_OUT_OF_RANGE)
                return False
        if mid:
            mid_hash, rid_hash = key_hash(mid), request_hash(rid)
        elif where is None:
            raise _LineByLine  # a line without message id is keyed by its offset
        else:
            # Never a duplicate of another line: keyed by where it is, so a re-read finds it again.
            mid_hash, rid_hash = key_hash(f"line:{where}:{session}:{at.isoformat()}"), 0
        scan.usage_lines += 1
        flags = (SIDECHAIN if side else 0) | (HAS_SPEED if speed else 0) | (FAST if speed == "fast" else 0)
        scan.entries.append(
            (self.account_id, mid_hash, rid_hash, epoch, model, cwd, inp, cread, c5 + c1, c1, out, cost, flags)
        )
        return bool(mid)


def _fast(buf: bytes | memoryview, scan: FileScan, account_id: str) -> None:
    """The fast path alone on ``buf`` (for tests: it must read what :func:`_line_by_line` reads)."""
    _Collector(scan, account_id).fast(buf)


def _line_by_line(data: bytes, base: int, scan: FileScan, account_id: str) -> None:
    """The line-by-line path alone on ``data`` starting at file offset ``base``."""
    _Collector(scan, account_id).line_by_line(data, base)


def _is_utf8(buf: bytes | memoryview) -> bool:
    """msgspec does not look inside the strings it skips, so the bytes are checked first."""
    if isinstance(buf, bytes) and buf.isascii():
        return True  # the common case, and far cheaper than decoding
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for at in range(0, len(buf), _SLICE):  # in slices, so a large block is never copied whole
            decoder.decode(buf[at : at + _SLICE])
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _scan(fh: BinaryIO, start: int, size: int, scan: FileScan, account_id: str, skipping: bool) -> None:
    """Scan ``fh`` from ``start`` up to ``size`` bytes into ``scan``, block by block."""
    reader = LineReader(fh, start, size, skipping=skipping)
    collect = _Collector(scan, account_id)
    for data, offset in reader:
        collect.block(data, offset)
    scan.consumed = reader.consumed
    scan.partial = int(reader.partial)
    scan.skipping = reader.skipping
    add_rejected(scan.rejected, LINE_TOO_LONG, reader.too_long)


def scan_file(path: str, start: int, size: int, account_id: str = "", skipping: bool = False) -> FileScan:
    """Read ``path`` from ``start`` up to ``size`` bytes and scan its complete lines.

    A last line without its newline is left for the next import (and counted as partial) unless
    it is already a whole JSON value.  ``skipping``: the part starts inside a line too long to
    read (see :attr:`FileScan.skipping`).  ``head`` identifies the file's first bytes up to the
    new offset (see ``common.head_digest``).  A file that cannot be opened or read gives a scan
    with only ``unreadable`` set: nothing of it is imported, and the next import tries again.
    """
    scan = FileScan(consumed=start, bytes_read=max(0, size - start))
    try:
        fh = open_log(path)
        if fh is None:
            return FileScan(consumed=start)  # deleted since it was listed: nothing to read
        with fh:
            _scan(fh, start, size, scan, account_id, skipping)
            scan.head = head_digest(read_at(fh, 0, min(scan.consumed, HEAD_BYTES)))
    except Unreadable as exc:
        return FileScan(consumed=start, unreadable=str(exc))
    add_moves(scan.buckets, scan.entries)
    return scan


def scan_bytes(data: bytes, account_id: str = "") -> FileScan:
    """:func:`scan_file` of a whole file held in memory (what the fuzz tests feed)."""
    scan = FileScan(consumed=0, bytes_read=len(data))
    _scan(io.BytesIO(data), 0, len(data), scan, account_id, False)
    scan.head = head_digest(data[: min(scan.consumed, HEAD_BYTES)])
    add_moves(scan.buckets, scan.entries)
    return scan


def scan_files(account_id: str, files: list[tuple[str, int, int, bool]]) -> list[FileScan]:
    """:func:`scan_file` for several (path, start, size, skipping) of one account; one task for a worker."""
    with no_cycle_collection():
        return [scan_file(path, start, size, account_id, skipping) for path, start, size, skipping in files]
