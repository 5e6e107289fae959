"""Read the unread part of a log file in bounded blocks: complete lines only, none longer than a limit.

Memory per file stays below :data:`BLOCK_BYTES` + :data:`MAX_LINE_BYTES` whatever the file holds:
a line longer than :data:`MAX_LINE_BYTES` (say a 2 GB run of NUL bytes with no newline) is
skipped without ever being held whole, and counted.  When a file part ends inside such a line,
:attr:`LineReader.skipping` says so, and the next import, started with ``skipping=True``, skips
on to that line's newline instead of reading its remainder as a line.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

MAX_LINE_BYTES = 64 << 20
"""The longest log line that is read (64 MiB); a longer one is skipped and counted.  Real
transcript lines, a pasted image or a large tool result included, stay far below this."""
MAX_DOCUMENT_BYTES = 64 << 20
"""The largest whole-file JSON document read (a Gemini CLI ``session-*.json`` chat)."""
BLOCK_BYTES = 16 << 20
"""How much of a file is read at once (most log files are read in one block)."""


class Unreadable(Exception):
    """A log file could not be opened or read; the message says why in a few plain words."""


def os_reason(exc: OSError) -> str:
    """Why a file could not be read, in a few plain words ("permission denied", "is a directory")."""
    if exc.errno is not None:
        return os.strerror(exc.errno).lower()
    return str(exc) or type(exc).__name__


def open_log(path: Path | str) -> BinaryIO | None:
    """``path`` opened for reading; ``None`` when it no longer exists, :class:`Unreadable` when it cannot be read."""
    try:
        return Path(path).open("rb")
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise Unreadable(os_reason(exc)) from exc


def read_at(fh: BinaryIO, offset: int, size: int) -> bytes:
    """Up to ``size`` bytes of ``fh`` from ``offset``; :class:`Unreadable` when the read fails."""
    try:
        fh.seek(offset)
        return fh.read(size)
    except OSError as exc:
        raise Unreadable(os_reason(exc)) from exc


def whole_json(data: bytes) -> bool:
    """Whether ``data`` is one complete JSON value (a last line that needs no newline to be read)."""
    if not data.strip():
        return False
    try:
        msgspec.json.decode(data, type=msgspec.Raw)  # checked, not built: a long line costs no objects
    except (msgspec.DecodeError, RecursionError):
        return False
    return True


class LineReader:
    """Iterate over ``(data, offset)``: runs of complete lines of ``fh`` between ``start`` and ``end``.

    ``data`` ends with a newline, except a last line without one that is already a whole JSON
    value (when ``whole_tail``); ``offset`` is where ``data`` starts in the file.  After the
    iteration, :attr:`consumed` is the offset after the last line read or skipped (an incomplete
    last line is left for the next import and sets :attr:`partial`), :attr:`too_long` counts the
    lines skipped for their length and :attr:`skipping` says the part ended inside such a line.
    A failing read raises :class:`Unreadable`.
    """

    def __init__(
        self,
        fh: BinaryIO,
        start: int,
        end: int,
        *,
        skipping: bool = False,
        whole_tail: bool = True,
        block: int | None = None,
        max_line: int | None = None,
    ) -> None:
        block = BLOCK_BYTES if block is None else block  # looked up now, so tests can lower them
        max_line = MAX_LINE_BYTES if max_line is None else max_line
        if block > max_line:
            raise ValueError("a block must not be longer than the longest line")
        self.fh, self.start, self.end = fh, start, end
        self.skipping, self.whole_tail = skipping, whole_tail
        self.block, self.max_line = block, max_line
        self.consumed = start
        self.too_long = 0
        self.partial = False

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        fh = self.fh
        pos = self.start  # the file offset of ``held`` (or of ``data`` when nothing is held)
        held = b""  # the start of a line whose newline has not been read yet
        left = self.end - self.start
        skipping = self.skipping
        read = pos
        while left > 0:
            data = read_at(fh, read, min(self.block, left))
            read += len(data)
            if not data:
                break  # the file shrank since it was planned
            left -= len(data)
            if skipping:
                nl = data.find(b"\n")
                if nl < 0:
                    pos += len(data)
                    continue
                pos += nl + 1
                data = data[nl + 1 :]
                skipping = False
            if held:
                nl = data.find(b"\n")
                if len(held) + (nl if nl >= 0 else len(data)) > self.max_line:
                    self.too_long += 1
                    if nl < 0:
                        pos += len(held) + len(data)
                        held, skipping = b"", True
                        continue
                    pos += len(held) + nl + 1
                    held, data = b"", data[nl + 1 :]
                else:
                    data, held = held + data, b""
            cut = data.rfind(b"\n") + 1
            if cut:
                # The common file fits one block and ends with its newline: no copy.
                yield (data if cut == len(data) else data[:cut]), pos
                pos += cut
            held = data[cut:]  # never longer than max_line: a block is not, nor is what passed the check
        self.skipping = skipping
        if held.strip() and not skipping:
            if self.whole_tail and whole_json(held):
                yield held, pos
                pos += len(held)
            else:
                self.partial = True
        self.consumed = pos
