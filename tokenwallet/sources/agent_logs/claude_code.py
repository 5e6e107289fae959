"""Claude Code JSONL transcripts: parse usage lines and de-duplicate them the way ccusage does.

Only lines containing ``"usage":{`` can carry usage, so every other line is skipped with a byte
search before any JSON is decoded.  The rest are decoded with msgspec into small Structs; fields
that ccusage refuses when explicitly ``null`` are typed ``X | None | UnsetType`` so that "null" and
"absent" stay distinguishable.

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
from dataclasses import dataclass
from datetime import datetime

import msgspec
from msgspec import UNSET, Struct, UnsetType

PREFILTER = b'"usage":{'
_SEMVER = re.compile(r"^\d+\.\d+\.\d+")


class CacheCreation(Struct, frozen=True):
    """``message.usage.cache_creation``: cache writes split by lifetime."""

    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0


class Usage(Struct, frozen=True):
    """``message.usage`` (unknown keys are ignored)."""

    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | UnsetType | None = UNSET
    cache_read_input_tokens: int | UnsetType | None = UNSET
    cache_creation: CacheCreation | None = None
    speed: str | UnsetType | None = UNSET


class Message(Struct, frozen=True):
    """``message`` of an assistant line."""

    usage: Usage
    id: str | UnsetType | None = UNSET
    model: str | UnsetType | None = UNSET


class Line(Struct, frozen=True):
    """The envelope of one transcript line, reduced to what pricing and de-duplication need."""

    timestamp: datetime
    message: Message
    sessionId: str | UnsetType | None = UNSET
    version: str | UnsetType | None = UNSET
    requestId: str | UnsetType | None = UNSET
    isSidechain: bool | None = False
    isApiErrorMessage: bool | UnsetType | None = UNSET
    costUSD: float | UnsetType | None = UNSET
    cwd: str | UnsetType | None = UNSET


DECODER = msgspec.json.Decoder(Line)


@dataclass(slots=True)
class Entry:
    """One usable usage line."""

    message_id: str
    request_id: str
    timestamp: datetime
    model: str
    session_id: str
    cwd: str
    sidechain: bool
    fast: bool
    has_speed: bool
    input_tokens: int
    output_tokens: int
    cache_read: int
    cache_5m: int
    cache_1h: int
    written: bool = False  # set once the row for this entry has been handed to the ledger

    @property
    def total(self) -> int:
        """All tokens of the entry (the tie-breaker among duplicates)."""
        return self.input_tokens + self.output_tokens + self.cache_read + self.cache_5m + self.cache_1h


class Rejected(Exception):
    """A line that decoded but that ccusage would not count either (explicit nulls, bad version)."""


_VERSION_OK: dict[str, bool] = {}


def _version_ok(version: str) -> bool:
    ok = _VERSION_OK.get(version)
    if ok is None:
        ok = _VERSION_OK[version] = bool(_SEMVER.match(version))
    return ok


def parse_line(raw: bytes) -> Entry | None:
    """Decode one line; ``None`` when it carries no usage, :class:`Rejected` or msgspec errors when bad."""
    if PREFILTER not in raw:
        return None
    # msgspec does not look inside the keys and strings it skips; a line with invalid UTF-8 anywhere
    # is damaged and is refused as a whole (UnicodeDecodeError), as a strict JSON reader would.
    raw.decode("utf-8")
    line = DECODER.decode(raw)
    msg = line.message
    usage = msg.usage
    # UNSET is falsy, so after the explicit-null checks ``x or ""`` turns "absent" into "".
    session, version, request, mid, model = line.sessionId, line.version, line.requestId, msg.id, msg.model
    if (
        session is None
        or version is None
        or request is None
        or mid is None
        or model is None
        or line.isApiErrorMessage is None
        or line.costUSD is None
        or line.cwd is None
        or usage.speed is None
        or usage.cache_read_input_tokens is None
        or usage.cache_creation_input_tokens is None
    ):
        raise Rejected("explicit null in a required field")
    if version and not _version_ok(version):
        raise Rejected("version is not semver")
    if session == "" or request == "" or mid == "" or model == "":
        raise Rejected("empty id or model")
    creation = usage.cache_creation
    if creation is not None:
        c5 = creation.ephemeral_5m_input_tokens
        c1 = creation.ephemeral_1h_input_tokens
    else:
        c5 = usage.cache_creation_input_tokens or 0
        c1 = 0
    speed = usage.speed or ""
    return Entry(
        mid or "",
        request or "",
        line.timestamp,
        # Shared strings: thousands of entries carry the same model, session and folder.
        sys.intern(model or ""),
        sys.intern(session or ""),
        sys.intern(line.cwd or ""),
        bool(line.isSidechain),
        speed == "fast",
        bool(speed),
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_input_tokens or 0,
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
    line collapses to its single best entry.
    """

    def __init__(self) -> None:
        # One entry per message id in the common case; a dict by request id only when a message id
        # comes with several request ids (sidechain replays), which keeps memory per message small.
        self.groups: dict[str, Entry | dict[str, Entry]] = {}
        self.sidechain: set[str] = set()
        self.loose: list[tuple[int, Entry]] = []
        self.dirty: set[str] = set()

    def _put(self, entry: Entry) -> None:
        mid = entry.message_id
        group = self.groups.get(mid)
        if group is None or (isinstance(group, Entry) and group.request_id == entry.request_id):
            self.groups[mid] = entry
        elif isinstance(group, Entry):
            self.groups[mid] = {group.request_id: group, entry.request_id: entry}
        else:
            group[entry.request_id] = entry

    def get(self, mid: str, rid: str) -> Entry | None:
        """The entry kept so far for (``mid``, ``rid``)."""
        group = self.groups.get(mid)
        if isinstance(group, Entry):
            return group if group.request_id == rid else None
        return None if group is None else group.get(rid)

    def add(self, entry: Entry, where: int = 0) -> None:
        """Add one parsed entry; ``where`` identifies a line without ``message.id`` (never merged)."""
        if not entry.message_id:
            self.loose.append((where, entry))
            return
        mid = entry.message_id
        self.dirty.add(mid)
        if entry.sidechain:
            self.sidechain.add(mid)
        old = self.get(mid, entry.request_id)
        if old is None or better(entry, old):
            self._put(entry)

    def seed(self, stored: Entry) -> None:
        """Merge a row kept by an earlier import: it stays kept unless a new line is better."""
        new = self.get(stored.message_id, stored.request_id)
        if stored.sidechain:
            self.sidechain.add(stored.message_id)
        if new is None or not better(new, stored):
            self._put(stored)

    def take_dirty(self) -> list[str]:
        """Message ids changed since the last call (their kept entries may have changed)."""
        dirty = list(self.dirty)
        self.dirty.clear()
        return dirty

    def resolve(self, mid: str) -> tuple[list[Entry], list[str]]:
        """The entries kept for ``mid`` and the request ids whose rows must not exist."""
        group = self.groups[mid]
        if isinstance(group, Entry):
            return [group], []
        if mid in self.sidechain:
            best: Entry | None = None
            for e in group.values():
                if best is None or better(e, best):
                    best = e
            assert best is not None
            return [best], [r for r in group if r != best.request_id]
        return list(group.values()), []

    def kept(self) -> list[tuple[str, list[Entry], list[str]]]:
        """Per message id: the entries to keep and the request ids whose rows must go."""
        return [(mid, *self.resolve(mid)) for mid in self.groups]


def duplicate_signature(data: bytes, start: int, end: int, usage_at: int) -> bytes:
    """Bytes that are equal for two lines of one response with the same usage (ids, sidechain, usage).

    Claude Code writes a response as consecutive lines, one per content block, repeating the
    message id, request id and usage object.  A line whose signature equals the previous kept
    line's is that same entry again and need not be decoded: with equal usage the first line
    stays the one kept (ccusage's rule for a tie).  Returns ``b""`` when the shape is unusual.

    The searches follow Claude Code's key order so that none scans the (long) content: the
    envelope starts with ``isSidechain``, ``message`` opens with the model and id, and
    ``requestId`` follows the message near the end of the line.
    """
    head = min(end, start + 512)
    side_at = data.find(b'"isSidechain":', start, head)
    mid = data.find(b'"id":"msg_', start, usage_at)
    rid = data.rfind(b'"requestId":"', usage_at, end)
    if side_at == -1 or mid == -1 or rid == -1:
        return b""
    mid_end = data.find(b'"', mid + 6, usage_at)
    rid_end = data.find(b'"', rid + 13, end)
    # The usage object nests objects one level deep (cache_creation, server_tool_use).
    pos = usage_at + 9
    while True:
        close = data.find(b"}", pos, end)
        if close == -1:
            return b""
        opened = data.find(b"{", pos, close)
        if opened == -1:
            break
        pos = close + 1
    return b"|".join((data[mid:mid_end], data[rid:rid_end], data[side_at + 14 : side_at + 18], data[usage_at:close]))
