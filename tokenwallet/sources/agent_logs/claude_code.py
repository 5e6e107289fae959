"""Claude Code JSONL transcripts: decode usage lines and de-duplicate them the way ccusage does.

A whole file (or the part not yet read) is decoded in one ``msgspec`` call
(:data:`DECODER`'s ``decode_lines``) into small Structs that keep only the fields pricing and
de-duplication need; msgspec skips the long message content in C.  Fields that ccusage refuses
when explicitly ``null`` are typed ``X | None | UnsetType`` so that "null" and "absent" stay
distinguishable.  The Structs hold only scalars, so they are not tracked by the cycle collector
(``gc=False``).  :func:`entry_from_line` applies ccusage's rules to one decoded line.

De-duplication (ccusage ``adapter/claude``): the key is (``message.id``, ``requestId``); Claude
Code writes one line per content block with the same ids and repeated usage.  Among duplicates
the non-sidechain line wins, then the larger token total, then the line carrying ``speed``.  When
any line of a ``message.id`` is a sidechain (``/btw`` replays the parent with a new request id),
all of that message's lines are one group keyed by ``message.id`` alone.  Lines without a
``message.id`` are never de-duplicated.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

from tokenwallet.domain.limits import MAX_TOKENS
from tokenwallet.ledger.log_entries import HAS_SPEED, SIDECHAIN
from tokenwallet.sources.agent_logs.common import TOKENS_OUT_OF_RANGE, OutOfRange

PREFILTER = b'"usage"'
"""Only lines containing this can carry usage (used when a file is read line by line)."""
_SEMVER = re.compile(r"^\d+\.\d+\.\d+")


class CacheCreation(Struct, frozen=True, gc=False):
    """``message.usage.cache_creation``: cache writes split by lifetime."""

    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0


class Usage(Struct, frozen=True, gc=False):
    """``message.usage`` (unknown keys are ignored)."""

    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | UnsetType | None = UNSET
    cache_read_input_tokens: int | UnsetType | None = UNSET
    cache_creation: CacheCreation | None = None
    speed: str | UnsetType | None = UNSET


class Message(Struct, frozen=True, gc=False):
    """``message`` of any line; only assistant messages carry ``usage``."""

    usage: Usage | UnsetType | None = UNSET
    id: str | UnsetType | None = UNSET
    model: str | UnsetType | None = UNSET


class Line(Struct, frozen=True, gc=False):
    """The envelope of one transcript line, reduced to what pricing and de-duplication need."""

    timestamp: datetime | UnsetType | None = UNSET
    message: Message | UnsetType | None = UNSET
    sessionId: str | UnsetType | None = UNSET
    version: str | UnsetType | None = UNSET
    requestId: str | UnsetType | None = UNSET
    isSidechain: bool | None = False
    isApiErrorMessage: bool | UnsetType | None = UNSET
    costUSD: float | UnsetType | None = UNSET
    cwd: str | UnsetType | None = UNSET


DECODER = msgspec.json.Decoder(Line)


class Entry(msgspec.Struct):
    """One usable usage line, priced, with what de-duplication compares.

    ``message_id`` and ``request_id`` are hashes of the ids (``ledger.log_entries.key_hash`` and
    ``request_hash``); a line without a message id gets the hash of its own row key and request
    id 0.  ``row`` is the entry as stored: a ``ledger.log_entries`` row.
    """

    message_id: int
    request_id: int
    sidechain: bool
    has_speed: bool
    total: int  # all tokens of the entry (the tie-breaker among duplicates)
    row: tuple[Any, ...]
    written: bool = False  # True while this entry is the one stored in the ledger for its key

    @classmethod
    def of(cls, row: tuple[Any, ...], *, written: bool = False) -> Entry:
        """The entry of a ``ledger.log_entries`` row (as scanned or as stored)."""
        flags = row[12]
        total = row[6] + row[7] + row[8] + row[10]  # input, cache read, cache write, output
        return cls(row[1], row[2], bool(flags & SIDECHAIN), bool(flags & HAS_SPEED), total, row, written)

    @property
    def cost(self) -> int | None:
        """Micro-USD, or ``None`` when the model is unpriced."""
        return self.row[11]  # type: ignore[no-any-return]


class Rejected(Exception):
    """A line that decoded but that ccusage would not count either (explicit nulls, bad version)."""


class Malformed(Exception):
    """A usage line that lacks what every usage line has (a timestamp)."""


_VERSION_OK: dict[str, bool] = {}
_intern = sys.intern


def entry_from_line(
    line: Line, usage: Usage
) -> tuple[datetime, str, str, str, str, str, str, bool, int, int, int, int, int]:
    """ccusage's checks on a decoded usage line; the fields an :class:`Entry` needs, unpriced.

    Returns (timestamp, message id, request id, model, session, cwd, speed, sidechain, input,
    output, cache read, cache 5m, cache 1h) with "absent" turned into ``""``; raises
    :class:`Rejected` for lines ccusage refuses, :class:`Malformed` for ones without a time and
    ``OutOfRange`` for token counts outside 0..2^53 (the caller checks the time's range).
    """
    msg = line.message
    assert isinstance(msg, Message)
    session, version, request, mid, model, cwd = (
        line.sessionId,
        line.version,
        line.requestId,
        msg.id,
        msg.model,
        line.cwd,
    )
    speed, cread, cwrite = usage.speed, usage.cache_read_input_tokens, usage.cache_creation_input_tokens
    if (
        session is None
        or version is None
        or request is None
        or mid is None
        or model is None
        or line.isApiErrorMessage is None
        or line.costUSD is None
        or cwd is None
        or speed is None
        or cread is None
        or cwrite is None
    ):
        raise Rejected("explicit null in a required field")
    at = line.timestamp
    if not isinstance(at, datetime):
        raise Malformed("usage line without a timestamp")
    if version:
        ok = _VERSION_OK.get(version)
        if ok is None:
            ok = _VERSION_OK[version] = bool(_SEMVER.match(version))
        if not ok:
            raise Rejected("version is not semver")
    if session == "" or request == "" or mid == "" or model == "":
        raise Rejected("empty id or model")
    creation = usage.cache_creation
    if creation is not None:
        c5 = creation.ephemeral_5m_input_tokens
        c1 = creation.ephemeral_1h_input_tokens
    else:
        c5 = cwrite or 0
        c1 = 0
    inp, out = usage.input_tokens, usage.output_tokens
    cread = cread or 0
    # One cheap test in the common case: the bits above 2^53 are clear only when all the counts
    # (and the cache writes stored as one) are below 2^53 and none is negative; the exact bound is
    # checked only when that fails.
    if (inp | out | cread | c5 | c1 | (c5 + c1)) >> 53 and not (
        all(0 <= n <= MAX_TOKENS for n in (inp, out, cread, c5, c1)) and c5 + c1 <= MAX_TOKENS
    ):
        raise OutOfRange(TOKENS_OUT_OF_RANGE)
    # UNSET is falsy, so after the explicit-null checks ``x or ""`` turns "absent" into "".
    return (
        at,
        mid or "",
        request or "",
        # Shared strings: thousands of entries carry the same model and folder.
        _intern(model or ""),
        session or "",
        _intern(cwd or ""),
        speed or "",
        bool(line.isSidechain),
        inp,
        out,
        cread,
        c5,
        c1,
    )


def better(new: Entry, old: Entry) -> bool:
    """True when ``new`` should replace ``old`` among duplicates (ccusage's order of preference)."""
    if new.sidechain != old.sidechain:
        return not new.sidechain
    if new.total != old.total:
        return new.total > old.total
    return new.has_speed and not old.has_speed


class Deduper:
    """Collects entries and keeps one per duplicate group.

    ``groups`` maps ``message.id`` to its entries by ``requestId``; a message with any sidechain
    line collapses to its single best entry.  An entry already stored (``written``) that a better
    one displaces is listed in :meth:`take_replaced`, so its figures can be taken off the ledger.
    """

    def __init__(self) -> None:
        # One entry per message id in the common case; a dict by request id only when a message id
        # comes with several request ids (sidechain replays), which keeps memory per message small.
        self.groups: dict[int, Entry | dict[int, Entry]] = {}
        self.sidechain: set[int] = set()
        self.replaced: list[Entry] = []

    def _put(self, entry: Entry) -> None:
        mid = entry.message_id
        group = self.groups.get(mid)
        if group is None:
            self.groups[mid] = entry
        elif isinstance(group, Entry):
            if group.request_id == entry.request_id:
                if group.written:
                    self.replaced.append(group)
                self.groups[mid] = entry
            else:
                self.groups[mid] = {group.request_id: group, entry.request_id: entry}
        else:
            old = group.get(entry.request_id)
            if old is not None and old.written:
                self.replaced.append(old)
            group[entry.request_id] = entry

    def get(self, mid: int, rid: int) -> Entry | None:
        """The entry kept so far for (``mid``, ``rid``)."""
        group = self.groups.get(mid)
        if isinstance(group, Entry):
            return group if group.request_id == rid else None
        return None if group is None else group.get(rid)

    def add(self, entry: Entry) -> None:
        """Add one parsed entry."""
        mid = entry.message_id
        if entry.sidechain:
            self.sidechain.add(mid)
        old = self.get(mid, entry.request_id)
        if old is None or better(entry, old):
            self._put(entry)

    def seed(self, stored: Entry) -> None:
        """Merge an entry stored by an earlier import: it stays kept unless a new line is better."""
        new = self.get(stored.message_id, stored.request_id)
        if stored.sidechain:
            self.sidechain.add(stored.message_id)
        if new is None or not better(new, stored):
            self._put(stored)
        else:
            self.replaced.append(stored)

    def take_replaced(self) -> list[Entry]:
        """Stored entries displaced since the last call."""
        replaced, self.replaced = self.replaced, []
        return replaced

    def resolve(self, mid: int) -> tuple[list[Entry], list[Entry]]:
        """The entries kept for ``mid`` and the ones (of a sidechain group) that must not be stored."""
        group = self.groups[mid]
        if isinstance(group, Entry):
            return [group], []
        if mid in self.sidechain:
            best: Entry | None = None
            for e in group.values():
                if best is None or better(e, best):
                    best = e
            assert best is not None
            return [best], [e for e in group.values() if e is not best]
        return list(group.values()), []
