"""Fuzz targets for the agent-log readers: real-shaped log lines, mutated.

Every target starts from the lines of the fixture logs in ``tests/fixtures/agent_logs`` (Claude
Code transcripts, Codex CLI rollouts, Gemini CLI chats as ``.jsonl`` and as one document), applies
a few mutations to some of them (dropped fields, wrong types, huge, negative and fractional
numbers, strings for numbers, null, times out of range, deep nesting), garbles some bytes
(invalid UTF-8, NUL, cut lines, a missing last newline) and reads the result the way an import
does.  What comes back must be storable: every token count within 0..2^53, every time within
1970-2199, every cost within $10^12; a violated invariant raises ``AssertionError`` (a crash).
The ``agent_log_import`` target runs the whole import into an in-memory ledger and checks that
its buckets and rollups still add up.
"""

from __future__ import annotations

import atexit
import copy
import io
import itertools
import json
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import strategies as st
from sqlite_utils import Database

from tests.fuzz import FuzzTarget
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.limits import MAX_EPOCH, MAX_MICROS, MAX_TOKENS, MIN_EPOCH, in_time_range
from tokenwallet.ledger import accounts
from tokenwallet.ledger.db import open_memory_ledger
from tokenwallet.sources.agent_logs import claude_scan, codex, gemini
from tokenwallet.sources.agent_logs.common import REJECT_REASONS, Item
from tokenwallet.sources.agent_logs.lines import LineReader
from tokenwallet.sources.pricing import PriceBook
from tokenwallet.sync.log_import.importer import import_account

FIXTURES = Path(__file__).parent.parent / "fixtures" / "agent_logs"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
_DEEP = "\x00deep:{}\x00"  # replaced by that many nested brackets after encoding


# --- real shapes ---------------------------------------------------------------------------------
def _lines(pattern: str) -> list[Any]:
    found: list[Any] = []
    for path in sorted(FIXTURES.glob(pattern)):
        for raw in path.read_bytes().splitlines():
            try:
                found.append(json.loads(raw))
            except ValueError:
                continue  # the fixtures hold some damaged lines on purpose; mutations make more
    return found


CLAUDE = _lines("claude/**/*.jsonl")
CODEX = _lines("codex/**/*.jsonl")
GEMINI_LINES = [
    {"sessionId": "g-1", "projectHash": "p", "startTime": "2026-11-24T12:00:00Z"},
    {
        "id": "m1",
        "type": "gemini",
        "model": "gemini-2.5-pro",
        "timestamp": "2026-11-24T12:00:05Z",
        "content": "hello",
        "tokens": {"input": 1200, "output": 300, "cached": 200, "thoughts": 50, "tool": 0, "total": 1550},
    },
    {"id": "u1", "type": "user", "timestamp": "2026-11-24T12:00:04Z", "content": "hi"},
]
GEMINI_DOCS = [json.loads(p.read_text("utf-8")) for p in sorted(FIXTURES.glob("gemini/**/*.json"))]
assert CLAUDE and CODEX and GEMINI_DOCS


# --- mutations -----------------------------------------------------------------------------------
_ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    "",
    "0",
    "123",
    "-5",
    "5e18",
    "NaN",
    [],
    {},
    [1, 2],
    {"a": None},
    0,
    -1,
    -100_000_000,
    MAX_TOKENS,
    MAX_TOKENS + 1,
    2**62,
    2**63 - 1,
    2**63,
    2**64,
    10**30,
    5 * 10**18,
    5e18,
    1.5,
    -0.0,
    1e308,
    float("inf"),
    float("nan"),
    "x" * 300,
    "\x00",
    "claude-sonnet-4-20250514",
    "<synthetic>",
    "fast",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+01:00",
    "2026-13-45T99:99:99Z",
    "1969-12-31T23:59:59Z",
    "2199-12-31T23:59:59Z",
    "2026-11-24T10:00:00Z",
    1795000000,
    -62135596800,
    253402300800,
]
VALUES = st.one_of(
    st.sampled_from(_ODD_VALUES),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.integers(min_value=2, max_value=100_000).map(_DEEP.format),
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value (its root included)."""
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _paths(value, (*prefix, index))


def _parent(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        obj = obj[step]
    return obj


_PICK = st.integers(min_value=0, max_value=2**16)  # an index, taken modulo the choices (made once: cheap)
_FLIP = st.booleans()
_ROUNDS = st.integers(min_value=1, max_value=4)
_HOW = st.sampled_from(("keep", "keep", "keep", "cut", "invalid_utf8", "nul", "newline"))
_BAD_BYTES = st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\x00" * 7, b"\n"])


def _pick(draw: st.DrawFn, choices: list[Any]) -> Any:
    return choices[draw(_PICK) % len(choices)]


def mutate(draw: st.DrawFn, base: Any) -> Any:
    """A copy of ``base`` with up to four fields dropped or replaced by odd values."""
    obj = copy.deepcopy(base)
    for _ in range(draw(_ROUNDS)):
        path = _pick(draw, list(_paths(obj)))
        # The odd values are shared between examples: always put in a copy.
        if not path:
            obj = copy.deepcopy(draw(VALUES))
            continue
        parent = _parent(obj, path)
        if draw(_FLIP):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(VALUES))
    return obj


def _encode(obj: Any, ascii_only: bool) -> bytes:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=ascii_only)
    for depth in {int(m) for m in _deep_markers(text)}:
        text = text.replace(json.dumps(_DEEP.format(depth)), "[" * depth + "]" * depth)
    return text.encode("utf-8", "surrogatepass")


def _deep_markers(text: str) -> Iterator[str]:
    marker = json.dumps(_DEEP.format("#")).split("#")
    start = 0
    while (at := text.find(marker[0], start)) != -1:
        end = text.find(marker[1], at)
        if end == -1:
            return
        yield text[at + len(marker[0]) : end]
        start = end


def garble(draw: st.DrawFn, line: bytes) -> bytes:
    """``line`` as is, mostly; else cut, or with invalid UTF-8, NUL or a newline put in."""
    how = draw(_HOW)
    if how == "keep" or not line:
        return line
    at = draw(_PICK) % (len(line) + 1)
    if how == "cut":
        return line[:at]
    insert = {"invalid_utf8": draw(_BAD_BYTES), "nul": b"\x00", "newline": b"\n"}[how]
    return line[:at] + insert + line[at:]


def log_file(bases: list[Any], *, max_lines: int = 6) -> st.SearchStrategy[bytes]:
    """A log of real lines from ``bases``, some of them mutated or garbled."""
    count = st.integers(min_value=1, max_value=max_lines)

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        lines: list[bytes] = []
        for _ in range(draw(count)):
            base = _pick(draw, bases)
            obj = mutate(draw, base) if draw(_PICK) % 3 else base
            lines.append(garble(draw, _encode(obj, draw(_FLIP))))
        return b"\n".join(lines) + (b"\n" if draw(_FLIP) else b"")

    return build()


def document(bases: list[Any]) -> st.SearchStrategy[bytes]:
    """A whole chat document, its messages mutated and its bytes garbled."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        doc = copy.deepcopy(_pick(draw, bases))
        messages = doc.get("messages", [])
        for i in range(len(messages)):
            if draw(_FLIP):
                messages[i] = mutate(draw, messages[i])
        if draw(_PICK) % 4 == 0:
            doc = mutate(draw, doc)
        return garble(draw, _encode(doc, draw(_FLIP)))

    return build()


# --- invariants ----------------------------------------------------------------------------------
def _tokens_ok(*counts: int) -> bool:
    return all(type(n) is int and 0 <= n <= MAX_TOKENS for n in counts)


def _check_rejected(rejected: dict[str, int]) -> None:
    assert set(rejected) <= set(REJECT_REASONS) and all(n > 0 for n in rejected.values()), rejected


def _check_items(items: list[Item], book: PriceBook) -> None:
    for it in items:
        assert in_time_range(it.at), it
        assert _tokens_ok(it.input_tokens, it.cached_tokens, it.output_tokens, it.reasoning_tokens), it
        cost = book.cost(
            it.model, it.at, input_tokens=it.input_tokens, output_tokens=it.output_tokens, cache_read=it.cached_tokens
        )
        assert cost is None or cost >= 0


_BOOKS: dict[str, PriceBook] = {}


def _book(provider: str) -> PriceBook:
    if provider not in _BOOKS:
        _BOOKS[provider] = PriceBook(provider_id=provider)
    return _BOOKS[provider]


# --- targets -------------------------------------------------------------------------------------
def run_claude(data: bytes) -> None:
    """Scan a Claude Code transcript; the fast path and the line-by-line path must agree."""
    scan = claude_scan.scan_bytes(data, "fz")
    assert 0 <= scan.consumed <= len(data) and scan.unreadable == ""
    _check_rejected(scan.rejected)
    for e in scan.entries:
        _, _, _, epoch, model, cwd, inp, cread, cwrite, c1, out, cost, _ = e
        assert MIN_EPOCH <= epoch < MAX_EPOCH, e
        assert _tokens_ok(inp, cread, cwrite, c1, out) and c1 <= cwrite, e
        assert cost is None or 0 <= cost <= MAX_MICROS, e
        assert isinstance(model, str) and isinstance(cwd, str)
    if _one_value_per_line(data[: scan.consumed]):
        # Then the one-decode fast path (msgspec reads whitespace-separated values, so a value cut
        # by a stray newline would read whole there) and the line-by-line path read the same.
        slow = claude_scan.FileScan(consumed=0)
        claude_scan._line_by_line(data[: scan.consumed], 0, slow, "fz")
        assert slow.entries == scan.entries
        assert (slow.usage_lines, slow.skipped, slow.rejected) == (scan.usage_lines, scan.skipped, scan.rejected)


def _one_value_per_line(data: bytes) -> bool:
    for line in data.split(b"\n"):
        if line.strip():
            try:
                msgspec.json.decode(line)
            except msgspec.DecodeError:
                return False
            except RecursionError:
                continue  # both paths refuse it
    return True


def _read_lines(data: bytes) -> Iterator[tuple[bytes, int]]:
    reader = LineReader(io.BytesIO(data), 0, len(data), whole_tail=False)
    yield from reader
    assert 0 <= reader.consumed <= len(data)


def run_codex(data: bytes) -> None:
    """Read a Codex rollout as the import does, block by block, and price what it finds."""
    state: dict[str, Any] = {}
    for block, offset in _read_lines(data):
        items, windows, counts, consumed = codex.read_chunk(block, base_offset=offset, file_key="r", state=state)
        assert consumed == len(block)
        _check_rejected(counts.rejected)
        _check_items(items, _book("openai"))
        for w in windows:
            assert 0 <= w.used_percent <= 100, w
            assert w.window_minutes is None or 0 < w.window_minutes <= 3653 * 1440, w
            assert w.resets_at is None or in_time_range(w.resets_at), w
    json.dumps(state)  # what is saved for the next import must stay JSON


def run_gemini_lines(data: bytes) -> None:
    """Read a Gemini ``.jsonl`` chat as the import does and price what it finds."""
    state: dict[str, Any] = {}
    for block, offset in _read_lines(data):
        items, counts, consumed = gemini.read_chunk(
            block, base_offset=offset, project="p", fallback_session="s", state=state
        )
        assert consumed == len(block)
        _check_rejected(counts.rejected)
        _check_items(items, _book("google"))


def run_gemini_document(data: bytes) -> None:
    """Read a whole Gemini ``session-*.json`` chat and price what it finds."""
    items, counts = gemini.read_document(data, project="p", fallback_session="s")
    _check_rejected(counts.rejected)
    _check_items(items, _book("google"))


class _Importer:
    """One in-memory ledger and scratch folder per process; each example gets a new account."""

    def __init__(self) -> None:
        self.db: Database | None = None
        self.folder: Path | None = None
        self.count = itertools.count()

    def run(self, case: tuple[str, bytes]) -> None:
        kind, data = case
        if self.db is None or self.folder is None:
            self.db = open_memory_ledger()
            self.folder = Path(tempfile.mkdtemp(prefix="tw-fuzz-logs-"))
            atexit.register(shutil.rmtree, self.folder, True)
        db = self.db
        n = next(self.count)
        root = self.folder / str(n)
        where = {
            "claude-code": root / "projects" / "p" / "s.jsonl",
            "codex": root / "sessions" / "2026" / "11" / "24" / "rollout-2026-11-24T09-00-00-x.jsonl",
            "gemini": root / "tmp" / "p" / "chats" / "session-x.jsonl",
        }[kind]
        where.parent.mkdir(parents=True)
        where.write_bytes(data)
        try:
            account = accounts.add(
                db,
                Account(id=f"fz{n}", kind=AccountKind(kind), label="fz", config={"paths": [str(root)]}),
                at=NOW,
            )
            summary = import_account(db, account, clock=FixedClock(NOW))
            _check_rejected(summary.rejected)
            assert summary.unreadable_files == 0
            self._check_ledger(db, account.id)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    @staticmethod
    def _check_ledger(db: Database, account_id: str) -> None:
        rows = db.execute(
            "SELECT input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, "
            "cost_micros, bucket_start FROM usage WHERE account_id = ?",
            [account_id],
        ).fetchall()
        for r in rows:
            assert _tokens_ok(*r[:5]) and (r[5] is None or 0 <= r[5] <= MAX_MICROS), r
            assert MIN_EPOCH <= r[6] < MAX_EPOCH, r
        sums = "total(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens), total(cost_micros)"
        direct = db.execute(f"SELECT {sums} FROM usage WHERE account_id = ?", [account_id]).fetchone()
        assert direct[0] <= MAX_TOKENS and direct[1] <= MAX_MICROS, direct
        daily = db.execute(
            "SELECT total(tokens), total(cost_micros) FROM usage_daily WHERE account_id = ?", [account_id]
        ).fetchone()
        assert daily == direct, (daily, direct)
        entries = db.execute(
            "SELECT count(*), total(input_tokens), total(output_tokens) FROM log_entries "
            "WHERE account = (SELECT id FROM log_accounts WHERE account_id = ?)",
            [account_id],
        ).fetchone()
        if entries[0]:
            buckets = db.execute(
                "SELECT total(requests), total(input_tokens), total(output_tokens) FROM usage WHERE account_id = ?",
                [account_id],
            ).fetchone()
            assert entries == buckets, (entries, buckets)


_IMPORTER = _Importer()

TARGETS: dict[str, FuzzTarget] = {
    "claude_code_lines": FuzzTarget(log_file(CLAUDE), run_claude),
    "codex_rollout_lines": FuzzTarget(log_file(CODEX), run_codex),
    "gemini_chat_lines": FuzzTarget(log_file(GEMINI_LINES), run_gemini_lines),
    "gemini_chat_document": FuzzTarget(document(GEMINI_DOCS), run_gemini_document),
    "agent_log_import": FuzzTarget(
        st.one_of(
            st.tuples(st.just("claude-code"), log_file(CLAUDE)),
            st.tuples(st.just("codex"), log_file(CODEX)),
            st.tuples(st.just("gemini"), log_file(GEMINI_LINES)),
        ),
        _IMPORTER.run,
    ),
}
