"""Scan the unread part of one Claude Code transcript: decode, check, collapse repeats, price.

:func:`scan_file` is a pure function of the file's bytes and the price catalog, so an import runs
it for many files in worker processes at once (``tokenwallet.sync.log_import.claude_import``) and
only de-duplicates and writes in the importing process.  Its result is plain tuples, cheap to send between processes.

The file is read in bounded blocks of complete lines (``lines.LineReader``: a line longer than
``MAX_LINE_BYTES`` is skipped unread and counted), and the fast path decodes each block, usually
the whole unread part, in one ``msgspec`` call.  When that call refuses a block (a cut or corrupt
line, invalid UTF-8, a line of an unexpected shape), the line its error points at is read on its
own, where a bad line is skipped and counted, and the lines around it are decoded at once again.
A block nested too deeply or with usage lines without a ``message.id`` is read line by line as a
whole.  Both paths apply the same rules (:func:`claude_code.entry_from_line`), so they import the same.  Token
counts, times and costs outside ``domain.limits`` reject their line; a file that cannot be read
is reported as unreadable rather than failing the import.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zlib
from typing import Any, BinaryIO

import msgspec

from tokenwallet.domain.blake2 import blake2b
from tokenwallet.domain.limits import MAX_EPOCH, MAX_MICROS, MIN_EPOCH
from tokenwallet.ledger.log_entries import (
    BUCKET_SECONDS,
    FAST,
    HAS_SPEED,
    SIDECHAIN,
    Moves,
    key_hash,
    merge_moves,
)
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

_SIGNED_64 = struct.Struct(">q").unpack
_crc32 = zlib.crc32

RawEntry = tuple[Any, ...]
"""One entry as a ``ledger.log_entries`` row (``claude_code.Entry.of`` makes the entry)."""

_SLICE = 1 << 20
_RUN = 16 << 10
"""About how many bytes of complete lines one decode call takes."""

_books: dict[str, PriceBook] = {}


def _prices(table: str = "") -> PriceBook:
    """One price book per process (and price table folder): worker processes resolve each (model, day) once, too."""
    book = _books.get(table)
    if book is None:
        from tokenwallet.sources.price_table import PriceTable

        book = _books[table] = PriceBook(provider_id="anthropic", table=PriceTable(table) if table else None)
    return book


class FileScan(msgspec.Struct):
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
    rejected: dict[str, int] = msgspec.field(default_factory=dict)
    skipping: bool = False
    unreadable: str = ""
    head: str = ""
    entries: list[RawEntry] = msgspec.field(default_factory=list)
    unpriced: list[str] = msgspec.field(default_factory=list)  # models of this file the catalog does not price


class TaskScan(msgspec.Struct):
    """The scans of several files of one account (one task for a worker process), in file order.

    ``buckets`` holds the figures of all their entries per quarter-hour bucket, summed here in
    parallel: the importer only corrects for the few entries it does not keep.  A first import
    sets entries apart (``sync.log_import.staging``): then each file's ``entries`` keeps only those
    that need judging against others, and ``apart`` holds the rest, serialized for the ledger, with
    their message hashes in ``apart_ids`` (a native ``array('q')`` as bytes).
    """

    files: list[FileScan]
    buckets: Moves = msgspec.field(default_factory=dict)
    apart: bytes = b""
    apart_ids: bytes = b""
    apart_count: int = 0
    apart_unpriced: int = 0


class _LineByLine(Exception):
    """The fast path cannot take this block; read it line by line."""


class _Collector:
    """Turns decoded usage lines into priced entries, collapsing a response's repeated lines.

    Each entry's figures are added to its quarter-hour bucket as it is made (``buckets``, once
    its block is through: a block read again line by line starts its sums over).
    """

    def __init__(self, scan: FileScan, account_id: str, prices: str = "", buckets: Moves | None = None) -> None:
        self.scan = scan
        self.account_id = account_id
        self.buckets: Moves = {} if buckets is None else buckets
        self.pending: Moves = {}  # the sums of the block being read
        self.book = _prices(prices)
        self.rates: dict[tuple[str, int, str], ModelRates | None] = {}
        self.last_model, self.last_day, self.last_speed = "", -1, ""
        self.last_rates: ModelRates | None = None
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
        self.pending = {}
        try:
            self.fast(data, offset)
        except _LineByLine:
            del scan.entries[mark[0] :], scan.unpriced[mark[1] :]
            scan.lines, scan.usage_lines, scan.malformed, scan.skipped, scan.rejected, self.previous = mark[2:]
            self.pending = {}
            self.line_by_line(bytes(data), offset)
        merge_moves(self.buckets, self.pending)

    def fast(self, buf: bytes | memoryview, base: int = 0) -> None:
        """Decode the lines of ``buf`` (starting at file offset ``base``) in as few calls as possible.

        The block is decoded in runs of lines; a run that one call refuses is split around the
        line the error points at: the lines before and after it are decoded at once again, that
        line on its own (:meth:`line_by_line`), so a damaged line costs one line's work and a
        short run's, not its block's.  Raises :class:`_LineByLine` when the block must be read
        line by line as a whole.
        """
        data = bytes(buf) if isinstance(buf, memoryview) else buf
        view = memoryview(data)  # runs are decoded from slices of it, without copies
        checked = data.isascii()  # the common case: then no run needs a UTF-8 check
        # Runs of about :data:`_RUN` bytes cost no more to decode than the whole block, and a
        # refused line then costs one short run decoded again, not everything before it.
        todo = []  # (start, end, read line by line), the last run first
        lo, end = 0, len(data)
        while lo < end:
            hi = data.find(b"\n", lo + _RUN) + 1 or end
            todo.append((lo, hi, False))
            lo = hi
        todo.reverse()
        while todo:
            lo, hi, alone = todo.pop()
            if lo >= hi:
                continue
            if alone:
                self.line_by_line(data[lo:hi], base + lo)
                continue
            bad = None if checked else _utf8_error(view, lo, hi)
            if bad is None:
                try:
                    lines = DECODER.decode_lines(view[lo:hi])
                except msgspec.ValidationError as exc:
                    bad = _value_start(data, lo, hi, exc)
                except msgspec.DecodeError as exc:
                    bad = _error_byte(lo, hi, exc)
                except RecursionError as exc:
                    raise _LineByLine from exc
                else:
                    self.add_all(lines)
                    self.scan.lines += len(lines)
                    continue
                if bad is None:  # the error does not say where: this run line by line
                    todo.append((lo, hi, True))
                    continue
            nl = data.rfind(b"\n", lo, bad)
            start = lo if nl < 0 else nl + 1
            end = data.find(b"\n", bad, hi)
            end = hi if end < 0 else end + 1
            # In file order: the lines before, the refused line on its own, the lines after.
            todo += ((end, hi, False), (start, end, True), (lo, start, False))

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
        # The rates of the last (model, day, speed) are kept at hand: consecutive requests of a
        # session mostly share all three (the model name is interned, so ``is`` compares it).
        day = epoch // 86_400
        if model is self.last_model and day == self.last_day and speed == self.last_speed:
            rates = self.last_rates
        else:
            key = (model, day, speed)
            try:
                rates = self.rates[key]
            except KeyError:
                rates = self.rates[key] = self.book.rates(model, at, variant="fast" if speed == "fast" else "")
            self.last_model, self.last_day, self.last_speed, self.last_rates = model, day, speed, rates
        cost: int | None
        if rates is None:
            cost = 0 if model == SYNTHETIC else None
            if cost is None and model not in scan.unpriced:
                scan.unpriced.append(model)
        else:
            cost = rates.cost(inp, out, cread, c5, c1)
            if cost > MAX_MICROS:
                add_rejected(scan.rejected, COST_OUT_OF_RANGE)
                return False
        if mid:
            # ``log_entries.key_hash`` and ``request_hash``, inline (once per request of a history).
            mid_hash = _SIGNED_64(blake2b(mid.encode(), digest_size=8).digest())[0]
            rid_hash = _crc32(rid.encode())
        elif where is None:
            raise _LineByLine  # a line without message id is keyed by its offset
        else:
            # Never a duplicate of another line: keyed by where it is, so a re-read finds it again.
            mid_hash, rid_hash = key_hash(f"line:{where}:{session}:{at.isoformat()}"), 0
        scan.usage_lines += 1
        # ``log_entries.add_moves`` of this entry, while its figures are at hand.
        bucket_key = (epoch - epoch % BUCKET_SECONDS, model, cwd)
        bucket = self.pending.get(bucket_key)
        if bucket is None:
            bucket = self.pending[bucket_key] = [0, 0, 0, 0, 0, 0, 1]
        bucket[0] += inp
        bucket[1] += cread
        bucket[2] += c5 + c1
        bucket[3] += out
        if cost is None:
            bucket[6] = 0
        else:
            bucket[4] += cost
        bucket[5] += 1
        flags = SIDECHAIN if side else 0
        if speed:
            flags |= HAS_SPEED | FAST if speed == "fast" else HAS_SPEED
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


_AT_BYTE = re.compile(r"\(byte (\d+)\)$")
_AT_VALUE = re.compile(r"at `\$\[(\d+)\]")


def _error_byte(lo: int, hi: int, exc: msgspec.DecodeError) -> int | None:
    """Where in ``data[lo:hi]`` the one-call decode failed (an absolute position), if it says."""
    text = str(exc)
    if text.startswith("Input data was truncated"):
        return hi - 1  # the last value is cut short
    found = _AT_BYTE.search(text)
    return None if found is None else min(hi - 1, lo + int(found.group(1)))


def _value_start(data: bytes, lo: int, hi: int, exc: msgspec.ValidationError) -> int | None:
    """Where the value a validation error names (``$[i]``) starts, counting one value per line.

    When values and lines do not match one to one, this points at an earlier line; that line is
    then read on its own (correctly) and the decode of the rest finds the culprit again.
    """
    found = _AT_VALUE.search(str(exc))
    if found is None:
        return None
    index = int(found.group(1))
    pos = lo
    while pos < hi:
        nl = data.find(b"\n", pos, hi)
        end = hi if nl < 0 else nl
        if data[pos:end].strip():
            if index == 0:
                return pos
            index -= 1
        pos = end + 1
    return None


def _utf8_error(view: memoryview, lo: int, hi: int) -> int | None:
    """The position of the first byte of ``view[lo:hi]`` that is not UTF-8, or ``None`` when all is.

    msgspec does not look inside the strings it skips, so a run is checked before it is decoded.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    for at in range(lo, hi, _SLICE):  # in slices, so a large block is never copied whole
        chunk = view[at : min(hi, at + _SLICE)]
        try:
            decoder.decode(chunk, at + _SLICE >= hi)
        except UnicodeDecodeError as exc:
            held = len(exc.object) - len(chunk)  # bytes of a character cut by the previous slice
            return min(hi - 1, max(lo, at - held + exc.start))
    return None


def _scan(
    fh: BinaryIO,
    start: int,
    size: int,
    scan: FileScan,
    account_id: str,
    skipping: bool,
    prices: str = "",
    buckets: Moves | None = None,
) -> None:
    """Scan ``fh`` from ``start`` up to ``size`` bytes into ``scan``, block by block (bucket sums into ``buckets``)."""
    reader = LineReader(fh, start, size, skipping=skipping)
    collect = _Collector(scan, account_id, prices, buckets)
    for data, offset in reader:
        collect.block(data, offset)
    scan.consumed = reader.consumed
    scan.partial = int(reader.partial)
    scan.skipping = reader.skipping
    add_rejected(scan.rejected, LINE_TOO_LONG, reader.too_long)


def scan_file(
    path: str,
    start: int,
    size: int,
    account_id: str = "",
    skipping: bool = False,
    prices: str = "",
    buckets: Moves | None = None,
) -> FileScan:
    """Read ``path`` from ``start`` up to ``size`` bytes and scan its complete lines.

    A last line without its newline is left for the next import (and counted as partial) unless
    it is already a whole JSON value.  ``skipping``: the part starts inside a line too long to
    read (see :attr:`FileScan.skipping`).  ``head`` identifies the file's first bytes up to the
    new offset (see ``common.head_digest``).  A file that cannot be opened or read gives a scan
    with only ``unreadable`` set: nothing of it is imported, and the next import tries again.
    ``prices``: the folder of the price table (``sources.price_table``), or ``""`` to ask the catalog;
    ``buckets`` receives the entries' figures per quarter-hour bucket.
    """
    scan = FileScan(consumed=start, bytes_read=max(0, size - start))
    sums: Moves = {}
    try:
        fh = open_log(path)
        if fh is None:
            return FileScan(consumed=start)  # deleted since it was listed: nothing to read
        with fh:
            _scan(fh, start, size, scan, account_id, skipping, prices, sums)
            scan.head = head_digest(read_at(fh, 0, min(scan.consumed, HEAD_BYTES)))
    except Unreadable as exc:
        return FileScan(consumed=start, unreadable=str(exc))  # nothing of it counts, its sums neither
    if buckets is not None:
        merge_moves(buckets, sums)
    return scan


def scan_bytes(data: bytes, account_id: str = "") -> FileScan:
    """:func:`scan_file` of a whole file held in memory (what the fuzz tests feed)."""
    scan = FileScan(consumed=0, bytes_read=len(data))
    _scan(io.BytesIO(data), 0, len(data), scan, account_id, False)
    scan.head = head_digest(data[: min(scan.consumed, HEAD_BYTES)])
    return scan


def scan_files(account_id: str, files: list[tuple[str, int, int, bool]], prices: str = "") -> TaskScan:
    """:func:`scan_file` for several (path, start, size, skipping) of one account, and their bucket figures."""
    with no_cycle_collection():
        task = TaskScan([])
        task.files = [
            scan_file(path, start, size, account_id, skipping, prices, task.buckets)
            for path, start, size, skipping in files
        ]
        return task
