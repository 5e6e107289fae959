"""Hostile agent-log input: one bad line or file never aborts an import; each is skipped and counted.

Lines nested 100,000 levels deep, token counts of 5e18 or below zero, sums that would overflow a
bucket or rollup, times outside 1970-2199, lines longer than the documented limit and unreadable
files are each rejected with a reason in the summary, while everything else imports.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tokenwallet.cli.root import cli
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.limits import MAX_TOKENS
from tokenwallet.ledger import accounts
from tokenwallet.sources.agent_logs import lines
from tokenwallet.sources.agent_logs.common import (
    COST_OUT_OF_RANGE,
    DOCUMENT_TOO_LARGE,
    LINE_TOO_LONG,
    NESTED_TOO_DEEPLY,
    OVER_ACCOUNT_TOTAL,
    TIME_OUT_OF_RANGE,
    TOKENS_OUT_OF_RANGE,
    WINDOW_OUT_OF_RANGE,
)
from tokenwallet.sync.log_import import claude_import, items_import
from tokenwallet.sync.log_import.importer import import_account

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agent_logs"
DEEP = 100_000
SONNET = "claude-sonnet-4-20250514"  # $3 input, $15 output per million tokens


def _claude(
    msg: str,
    *,
    inp: Any = 100,
    out: Any = 10,
    cache_read: Any = 0,
    model: str = SONNET,
    ts: str = "2026-11-26T10:00:00.000Z",
    content: str = '[{"type":"text","text":"x"}]',
    speed: str = "",
) -> str:
    """One assistant line; ``content`` is raw JSON (so it can be nested deeper than json.dumps allows)."""
    fields = {"input_tokens": inp, "output_tokens": out, "cache_read_input_tokens": cache_read}
    usage = json.dumps({**fields, "speed": speed} if speed else fields, separators=(",", ":"))
    return (
        f'{{"type":"assistant","timestamp":"{ts}","sessionId":"s1","version":"2.1.40","requestId":"r-{msg}",'
        f'"cwd":"/w","message":{{"id":"{msg}","model":"{model}","content":{content},"usage":{usage}}}}}'
    )


def _deep(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


def _write(path: Path, lines_: list[str], *, newline: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines_) + ("\n" if newline else ""), encoding="utf-8")
    return path


def _account(db: Any, kind: AccountKind, root: Path, now: Any) -> Account:
    return accounts.add(db, Account(id="a", kind=kind, label="a", config={"paths": [str(root)]}), at=now)


def _entries(db: Any) -> tuple[int, int, int, int]:
    """Count, input, output and cost of the stored Claude entries."""
    return db.execute(
        "SELECT count(*), sum(input_tokens), sum(output_tokens), sum(cost_micros) FROM log_entries"
    ).fetchone()  # type: ignore[no-any-return]


def _usage_sums(db: Any) -> tuple[int, int, int]:
    """Input, output and cost of every usage row of the account, and the daily rollup agrees."""
    direct = db.execute(
        "SELECT sum(input_tokens), sum(output_tokens), total(cost_micros) FROM usage WHERE account_id = 'a'"
    ).fetchone()
    tokens, cost = db.execute("SELECT sum(tokens), sum(cost_micros) FROM usage_daily WHERE account_id = 'a'").fetchone()
    all_tokens = db.execute(
        "SELECT sum(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens) FROM usage "
        "WHERE account_id = 'a'"
    ).fetchone()[0]
    assert (tokens, cost) == (all_tokens, direct[2])
    return direct  # type: ignore[no-any-return]


def test_claude_hostile_lines_are_rejected_by_reason_and_the_rest_imports(
    db: Any, tmp_path: Path, clock: Any, now: Any
) -> None:
    root = tmp_path / "claude"
    _write(
        root / "projects" / "p" / "s.jsonl",
        [
            _claude("good1"),
            _claude("deep", content=_deep()),  # nested 100,000 levels: the decoder refuses it
            _claude("huge", inp=5 * 10**18),  # 5e18 written as an integer
            _claude("float", inp=5e18),  # 5e18 written as a float: not a token count at all
            _claude("negative", inp=-100_000_000),  # today this would lower the spend by $300
            _claude("bigint", out=10**30),  # beyond any 64-bit integer
            _claude("year", ts="9999-12-31T23:59:59-05:00"),
            _claude("ancient", ts="0001-01-01T00:00:00+01:00"),
            _claude("good2", out=20),
        ],
    )
    summary = import_account(db, _account(db, AccountKind.CLAUDE_CODE, root, now), clock=clock)
    assert summary.rejected == {NESTED_TOO_DEEPLY: 1, TOKENS_OUT_OF_RANGE: 3, TIME_OUT_OF_RANGE: 2}
    assert summary.malformed == 1  # the float
    assert summary.imported == 2 and summary.entries == 2
    assert _entries(db) == (2, 100 + 100, 10 + 20, (100 * 3 + 10 * 15) + (100 * 3 + 20 * 15))
    assert _usage_sums(db) == (100 + 100, 10 + 20, (100 * 3 + 10 * 15) + (100 * 3 + 20 * 15))


def test_sums_that_would_overflow_a_bucket_or_rollup_are_rejected(
    db: Any, tmp_path: Path, clock: Any, now: Any
) -> None:
    root = tmp_path / "claude"
    unpriced = "claude-imaginary-9"
    _write(
        root / "projects" / "p" / "s.jsonl",
        [
            _claude("good1", model=unpriced),
            # Two lines of an unpriced model, in one quarter hour: 2^62 + 2^62 overflows 64 bits.
            _claude("o1", inp=2**62, model=unpriced),
            _claude("o2", inp=2**62, model=unpriced),
            # Each count at the limit is accepted alone, but the account's total may not pass 2^53.
            _claude("max", inp=MAX_TOKENS - (100 + 10) - 10 - (1000 + 10), model=unpriced),
            _claude("past", inp=1000, model=unpriced),
            # A priced line whose counts are each within 2^53 but whose cost is above $10^12
            # ($15 + $75 + $1.50 per million at 6x for fast mode).
            _claude("dear", inp=MAX_TOKENS, out=MAX_TOKENS, model="claude-opus-4-1-20250805", speed="fast"),
            _claude("good2", out=20, model=unpriced, ts="2026-11-26T10:01:00.000Z"),
        ],
    )
    summary = import_account(db, _account(db, AccountKind.CLAUDE_CODE, root, now), clock=clock)
    # good1, max and past fill the account's total to exactly 2^53; good2 does not fit any more.
    assert summary.rejected == {TOKENS_OUT_OF_RANGE: 2, COST_OUT_OF_RANGE: 1, OVER_ACCOUNT_TOTAL: 1}
    assert summary.imported == 3 and summary.unpriced_entries == 3
    total = db.execute("SELECT sum(input_tokens + output_tokens) FROM log_entries").fetchone()[0]
    assert total == MAX_TOKENS
    assert _usage_sums(db)[0] == 100 + (MAX_TOKENS - (100 + 10) - 10 - (1000 + 10)) + 1000
    # Later imports keep to the same total: nothing more fits.
    _write(root / "projects" / "p" / "later.jsonl", [_claude("later", model=unpriced)])
    again = import_account(db, accounts.get(db, "a"), clock=clock)
    assert again.rejected == {OVER_ACCOUNT_TOTAL: 1} and again.imported == 0


def test_codex_and_gemini_hostile_lines(db: Any, tmp_path: Path, clock: Any, now: Any) -> None:
    root = tmp_path / "codex"
    shutil.copytree(FIXTURES / "codex", root)
    rollout = next((root / "sessions").rglob("*.jsonl"))

    def event(usage: dict[str, Any], *, ts: str = "2026-11-24T10:00:00.000Z", used: Any = 5.0) -> str:
        payload = {
            "type": "token_count",
            "rate_limits": {"primary": {"used_percent": used, "window_minutes": 300, "resets_at": 1795000000}},
            "info": {"last_token_usage": usage},
        }
        return json.dumps({"timestamp": ts, "type": "event_msg", "payload": payload})

    good = {"input_tokens": 10, "cached_input_tokens": 0, "output_tokens": 5}
    with rollout.open("a", encoding="utf-8") as fh:
        for line in (
            event({"input_tokens": 5e18, "output_tokens": 1}),
            event({"input_tokens": 5 * 10**18, "output_tokens": 1}),
            event({"input_tokens": -100_000_000, "output_tokens": 1}),
            event(good, ts="9999-12-31T23:59:59-05:00"),
            event(good, used=1e308),  # the reading is dropped, the usage kept
            '{"timestamp":"2026-11-24T10:00:00.000Z","type":"event_msg","payload":{"type":"token_count","info":'
            + _deep()
            + "}}",
            '{"type":"turn_context","payload":{"model":' + json.dumps("x" * 10) + ',"deep":' + _deep() + "}}",
        ):
            fh.write(line + "\n")
    summary = import_account(db, _account(db, AccountKind.CODEX, root, now), clock=clock)
    assert summary.rejected == {
        TOKENS_OUT_OF_RANGE: 3,
        TIME_OUT_OF_RANGE: 1,
        WINDOW_OUT_OF_RANGE: 1,
        NESTED_TOO_DEEPLY: 2,
    }
    # The fixture's three entries and the good event with the out-of-range reading.
    assert summary.imported == 3 + 1
    assert db.execute("SELECT sum(input_tokens), sum(output_tokens) FROM usage").fetchone() == (
        800 + 1000 + 0 + 10,
        300 + 200 + 10 + 5,
    )

    groot = tmp_path / "gemini"
    chats = groot / "tmp" / "p" / "chats"
    msg = {"type": "gemini", "model": "gemini-2.5-pro", "timestamp": "2026-11-24T10:00:00Z"}
    _write(
        chats / "session-x.jsonl",
        [
            json.dumps({"sessionId": "g1"}),
            json.dumps({**msg, "id": "ok", "tokens": {"input": 100, "output": 10, "cached": 0}}),
            json.dumps({**msg, "id": "neg", "tokens": {"input": -100_000_000, "output": 10}}),
            json.dumps({**msg, "id": "sum", "tokens": {"input": 1, "output": MAX_TOKENS, "thoughts": MAX_TOKENS}}),
            '{"type":"gemini","tokens":{"input":1},"x":' + _deep() + "}",
        ],
    )
    doc = {"sessionId": "g2", "messages": [{**msg, "id": "d", "tokens": {"input": 5e18}}, {"content": _deep(50)}]}
    _write(chats / "session-y.json", [json.dumps(doc)])
    gaccount = accounts.add(
        db, Account(id="g", kind=AccountKind.GEMINI, label="g", config={"paths": [str(groot)]}), at=now
    )
    gsum = import_account(db, gaccount, clock=clock)
    assert gsum.rejected == {TOKENS_OUT_OF_RANGE: 3, NESTED_TOO_DEEPLY: 1}
    assert gsum.imported == 1


def test_a_line_longer_than_the_limit_is_skipped_unread_also_across_imports(
    db: Any, tmp_path: Path, clock: Any, now: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(lines, "BLOCK_BYTES", 1024)
    root = tmp_path / "claude"
    path = _write(root / "projects" / "p" / "s.jsonl", [_claude("m1"), _claude("long", content='"' + "x" * 5000 + '"')])
    # The file ends inside another long line: it is skipped to its end, and the next import skips
    # the rest of it up to its newline.
    with path.open("a") as fh:
        fh.write('{"type":"assistant","message":{"content":"' + "y" * 6000)
    account = _account(db, AccountKind.CLAUDE_CODE, root, now)
    first = import_account(db, account, clock=clock)
    assert first.rejected == {LINE_TOO_LONG: 2} and first.imported == 1 and first.partial_lines == 0
    assert first.bytes_read == path.stat().st_size
    with path.open("a") as fh:
        fh.write("y" * 100 + '"}}\n' + _claude("m2") + "\n")
    second = import_account(db, account, clock=clock)
    assert second.rejected == {} and second.imported == 1 and second.malformed == 0
    assert _entries(db)[0] == 2
    # The same limit holds for Codex rollouts (read by the same block reader).
    croot = tmp_path / "codex"
    shutil.copytree(FIXTURES / "codex", croot)
    rollout = next((croot / "sessions").rglob("*.jsonl"))
    with rollout.open("a") as fh:
        fh.write('{"type":"turn_context","payload":{"model":"' + "z" * 9000 + '"}}\n')
    codex = accounts.add(db, Account(id="c", kind=AccountKind.CODEX, label="c", config={"paths": [str(croot)]}), at=now)
    assert import_account(db, codex, clock=clock).rejected == {LINE_TOO_LONG: 1}


def test_a_gemini_chat_document_above_the_limit_is_not_read(
    db: Any, tmp_path: Path, clock: Any, now: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "gemini"
    shutil.copytree(FIXTURES / "gemini", root)
    doc = next(root.rglob("session-*.json"))
    monkeypatch.setattr(items_import, "MAX_DOCUMENT_BYTES", doc.stat().st_size - 1)
    account = _account(db, AccountKind.GEMINI, root, now)
    summary = import_account(db, account, clock=clock)
    assert summary.rejected == {DOCUMENT_TOO_LARGE: 1} and summary.imported == 0
    # Not read again until it changes; within the limit it is read whole.
    assert import_account(db, account, clock=clock).files_read == 0
    doc.write_bytes(doc.read_bytes() + b"\n")
    monkeypatch.setattr(items_import, "MAX_DOCUMENT_BYTES", doc.stat().st_size)
    assert import_account(db, account, clock=clock).imported == 2


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Opening ``denied`` fails as it would without read permission (tests may run as root,
    whom file modes do not stop)."""
    real = pathlib.Path.open

    def guarded(self: Path, *args: Any, **kwargs: Any) -> Any:
        if Path(self) == denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", guarded)


@pytest.mark.parametrize("workers", [False, True], ids=["in-process", "worker-processes"])
def test_an_unreadable_file_is_counted_and_read_next_time(
    db: Any, tmp_path: Path, clock: Any, now: Any, monkeypatch: pytest.MonkeyPatch, workers: bool
) -> None:
    root = tmp_path / "claude"
    _write(root / "projects" / "p" / "a.jsonl", [_claude("a1")])
    denied = _write(root / "projects" / "p" / "b.jsonl", [_claude("b1"), _claude("b2")])
    _write(root / "projects" / "p" / "c.jsonl", [_claude("c1")])
    if workers:
        monkeypatch.setattr(claude_import, "PARALLEL_MIN_BYTES", 0)
        monkeypatch.setattr(claude_import, "TASK_BYTES", 1)
        monkeypatch.setattr(claude_import, "worker_count", lambda plans: 2)
    account = _account(db, AccountKind.CLAUDE_CODE, root, now)
    with monkeypatch.context() as patch:
        _deny(patch, denied)
        first = import_account(db, account, clock=clock)
    assert first.unreadable_files == 1 and first.unreadable_paths == [f"{denied} (permission denied)"]
    assert first.imported == 2 and first.files_read == 3
    second = import_account(db, account, clock=clock)
    assert second.unreadable_files == 0 and second.imported == 2 and second.files_read == 1
    assert _entries(db)[0] == 4


def test_an_unreadable_codex_file_is_counted(db: Any, tmp_path: Path, clock: Any, now: Any, monkeypatch: Any) -> None:
    root = tmp_path / "codex"
    shutil.copytree(FIXTURES / "codex", root)
    rollout = next((root / "sessions").rglob("*.jsonl"))
    other = rollout.with_name("rollout-2026-11-24T12-00-00-other.jsonl")
    shutil.copy(rollout, other)
    account = _account(db, AccountKind.CODEX, root, now)
    with monkeypatch.context() as patch:
        _deny(patch, rollout)
        first = import_account(db, account, clock=clock)
    assert first.unreadable_files == 1 and first.imported == 3
    assert import_account(db, account, clock=clock).imported == 3


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="file modes do not stop root")
def test_a_file_without_read_permission(db: Any, tmp_path: Path, clock: Any, now: Any) -> None:
    root = tmp_path / "claude"
    _write(root / "projects" / "p" / "a.jsonl", [_claude("a1")])
    denied = _write(root / "projects" / "p" / "b.jsonl", [_claude("b1")])
    denied.chmod(0)
    try:
        summary = import_account(db, _account(db, AccountKind.CLAUDE_CODE, root, now), clock=clock)
    finally:
        denied.chmod(0o600)
    assert summary.unreadable_files == 1 and summary.imported == 1


def test_the_import_summary_shows_rejected_lines_and_unreadable_files(tmp_path: Path) -> None:
    root = tmp_path / "claude"
    _write(root / "projects" / "p" / "s.jsonl", [_claude("ok"), _claude("neg", inp=-5), _claude("d", content=_deep())])
    runner = CliRunner()
    args = ["--home", str(tmp_path / "home"), "import", "claude-code", "--path", str(root)]
    shown = runner.invoke(cli, args)
    assert shown.exit_code == 0, shown.output
    assert "lines rejected (limits)" in shown.output
    assert "2 (JSON nested too deeply: 1, token count negative, fractional or above 2^53: 1)" in shown.output
    _write(root / "projects" / "p" / "s.jsonl", [_claude("ok2")])
    as_json = runner.invoke(cli, [*args, "--json"])
    payload = json.loads(as_json.stdout)["import"]
    assert payload["rejected"] == {} and payload["unreadable_files"] == 0 and payload["imported"] == 1


_PEAK_SCRIPT = """
import json, resource, sys
from pathlib import Path
from datetime import UTC, datetime
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import FixedClock
from tokenwallet.ledger import accounts
from tokenwallet.ledger.db import open_ledger
from tokenwallet.sync.log_import.importer import import_account

root, ledger = Path(sys.argv[1]), Path(sys.argv[2])
now = datetime(2026, 11, 27, tzinfo=UTC)
db = open_ledger(ledger)
account = accounts.add(db, Account(id="a", kind=AccountKind(sys.argv[3]), label="a",
                                   config={"paths": [str(root)]}), at=now)
summary = import_account(db, account, clock=FixedClock(now))
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"peak_kib": peak, **summary.as_dict()}))
"""


@pytest.fixture
def sparse_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder for a large sparse file: in tmpfs when there is one, where reading a hole costs no
    disk and no page cache (2 GB read in a fraction of a second instead of several seconds)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="tw-sparse-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("kind", ["claude-code", "codex"])
def test_two_gigabytes_of_nul_bytes_without_a_newline_take_little_memory(
    sparse_dir: Path, tmp_path: Path, kind: str
) -> None:
    """A sparse 2 GB file of NUL bytes next to a good log: peak memory of the importing process and
    its workers stays far below the file's size (the bound is one block plus the longest line)."""
    tmp_path, ledger_dir = sparse_dir, tmp_path
    if kind == "claude-code":
        root = tmp_path / "claude"
        _write(root / "projects" / "p" / "good.jsonl", [_claude("good")])
        huge = root / "projects" / "p" / "zeros.jsonl"
    else:
        root = tmp_path / "codex"
        shutil.copytree(FIXTURES / "codex", root)
        huge = root / "sessions" / "2026" / "11" / "24" / "rollout-2026-11-24T00-00-00-zeros.jsonl"
    with huge.open("wb") as fh:
        fh.truncate(2 << 30)
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(root), str(ledger_dir / "ledger.db"), kind],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["rejected"] == {LINE_TOO_LONG: 1}
    assert result["imported"] == (1 if kind == "claude-code" else 3)
    assert result["peak_kib"] < 400 * 1024, result["peak_kib"]
