"""Values shared by the agent-log readers."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

HEAD_BYTES = 1024
"""How many leading bytes identify a log file (to tell a grown file from a replaced one)."""


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while millions of short-lived, acyclic objects are made.

    An import creates a decoded Struct per line and a tuple per request; the collector would
    walk the growing heap again and again for cycles that never form.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def head_digest(head: bytes) -> str:
    """``<length>:<hash>`` of a file's first bytes, as stored in ``log_files.head_hash``."""
    return f"{len(head)}:{hashlib.blake2b(head, digest_size=16).hexdigest()}"


@dataclass(slots=True)
class Item:
    """One priced-to-be usage entry from a Codex or Gemini log (Claude Code has its own de-duplicating path)."""

    key: str
    at: datetime
    model: str
    input_tokens: int  # not cached
    cached_tokens: int
    output_tokens: int  # including reasoning/thoughts
    reasoning_tokens: int = 0
    project: str = ""
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Counts:
    """What a reader saw in one chunk of a file."""

    lines: int = 0
    entries: int = 0
    malformed: int = 0
    skipped: int = 0
    duplicates: int = 0


def parse_time(value: object) -> datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime, or ``None`` when missing or invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def as_int(value: object) -> int:
    """A token count from JSON: ints pass, anything else (null, strings, floats, bools) is 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def complete_lines(data: bytes) -> int:
    """Length of the prefix of ``data`` that ends with a newline (what can be consumed safely)."""
    return data.rfind(b"\n") + 1
