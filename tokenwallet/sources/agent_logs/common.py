"""Values shared by the agent-log readers."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import msgspec

from tokenwallet.domain.blake2 import blake2b
from tokenwallet.domain.limits import MAX_TOKENS, MAX_USD, in_time_range
from tokenwallet.sources.agent_logs.lines import MAX_DOCUMENT_BYTES, MAX_LINE_BYTES

HEAD_BYTES = 1024
"""How many leading bytes identify a log file (to tell a grown file from a replaced one)."""

# Why a line was rejected: keys of the ``rejected`` counts of an import (stable, in its JSON summary).
LINE_TOO_LONG = "line_too_long"
DOCUMENT_TOO_LARGE = "document_too_large"
NESTED_TOO_DEEPLY = "nested_too_deeply"
TOKENS_OUT_OF_RANGE = "tokens_out_of_range"
TIME_OUT_OF_RANGE = "time_out_of_range"
COST_OUT_OF_RANGE = "cost_out_of_range"
OVER_ACCOUNT_TOTAL = "over_account_total"
WINDOW_OUT_OF_RANGE = "rate_limit_out_of_range"
REJECT_REASONS: dict[str, str] = {
    LINE_TOO_LONG: f"line longer than {MAX_LINE_BYTES >> 20} MiB",
    DOCUMENT_TOO_LARGE: f"chat file larger than {MAX_DOCUMENT_BYTES >> 20} MiB",
    NESTED_TOO_DEEPLY: "JSON nested too deeply",
    TOKENS_OUT_OF_RANGE: "token count negative, fractional or above 2^53",
    TIME_OUT_OF_RANGE: "time outside 1970-2199",
    COST_OUT_OF_RANGE: f"cost above ${MAX_USD:,}",
    OVER_ACCOUNT_TOTAL: f"the account's total would pass 2^53 tokens or ${MAX_USD:,}",
    WINDOW_OUT_OF_RANGE: "rate-limit reading out of range",
}
"""What each reason means, in the words the import summary shows."""


class OutOfRange(Exception):
    """A line holds a value outside the documented limits (``domain.limits``); it is rejected.

    ``reason`` is a key of :data:`REJECT_REASONS`.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(REJECT_REASONS[reason])
        self.reason = reason


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
    return f"{len(head)}:{blake2b(head, digest_size=16).hexdigest()}"


class Item(msgspec.Struct):
    """One priced-to-be usage entry from a Codex or Gemini log (Claude Code has its own de-duplicating path)."""

    key: str
    at: datetime
    model: str
    input_tokens: int  # not cached
    cached_tokens: int
    output_tokens: int  # including reasoning/thoughts
    reasoning_tokens: int = 0
    project: str = ""
    extra: dict[str, object] = msgspec.field(default_factory=dict)


class Counts(msgspec.Struct):
    """What a reader saw in one chunk of a file; ``rejected`` counts lines by reason (see :data:`REJECT_REASONS`)."""

    lines: int = 0
    entries: int = 0
    malformed: int = 0
    skipped: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = msgspec.field(default_factory=dict)

    def reject(self, reason: str, n: int = 1) -> None:
        """Count ``n`` lines rejected for ``reason``."""
        add_rejected(self.rejected, reason, n)


def add_rejected(counts: dict[str, int], reason: str, n: int = 1) -> None:
    """Add ``n`` to ``counts[reason]`` (a reason only appears once something was rejected for it)."""
    if n:
        counts[reason] = counts.get(reason, 0) + n


def parse_time(value: object) -> datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime, or ``None`` when missing or invalid.

    A valid time outside 1970-2199 (``domain.limits``) raises :class:`OutOfRange`.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    try:
        at = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved past the calendar's ends by its offset
        raise OutOfRange(TIME_OUT_OF_RANGE) from None
    if not in_time_range(at):
        raise OutOfRange(TIME_OUT_OF_RANGE)
    return at


def token_count(value: object) -> int:
    """A token count from JSON, as ccusage reads one: absent, null, strings and other non-numbers are 0.

    A number must be whole and within 0..``MAX_TOKENS`` (2^53); anything else (negative, 5e18,
    1.5) raises :class:`OutOfRange`, so the line is rejected rather than stored.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if isinstance(value, float):
        if not value.is_integer():  # also NaN and infinities
            raise OutOfRange(TOKENS_OUT_OF_RANGE)
        value = int(value)
    if 0 <= value <= MAX_TOKENS:
        return value
    raise OutOfRange(TOKENS_OUT_OF_RANGE)


def complete_lines(data: bytes) -> int:
    """Length of the prefix of ``data`` that ends with a newline (what can be consumed safely)."""
    return data.rfind(b"\n") + 1
