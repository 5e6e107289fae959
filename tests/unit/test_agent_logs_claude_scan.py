"""Claude Code import internals: the one-decode fast path, worker processes, batches and the
migration of per-request rows written by earlier versions."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from tests.benchmarks.claude_corpus import append, generate
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.ledger import accounts, log_entries
from tokenwallet.ledger.db import open_ledger
from tokenwallet.ledger.migrations import MIGRATIONS
from tokenwallet.sources.agent_logs import claude_scan
from tokenwallet.sync.log_import import claude_import
from tokenwallet.sync.log_import.importer import import_account


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated corpus in Claude Code's shapes: content-block repeats, sidechains, sub-agents."""
    root = tmp_path_factory.mktemp("corpus") / "claude"
    generate(root, 1_500_000, seed=3)
    return root


def _account(db: Any, root: Path, now: Any) -> Account:
    return accounts.add(
        db, Account(id="cc", kind=AccountKind.CLAUDE_CODE, label="cc", config={"paths": [str(root)]}), at=now
    )


def _ledger(db: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Entries, usage buckets and hourly rollups, in a stable order."""
    return (
        db.execute("SELECT * FROM log_entries ORDER BY entry_hash, request_hash").fetchall(),
        db.execute(
            "SELECT key, bucket_start, bucket_end, model, project, input_tokens, cached_input_tokens, "
            "cache_write_tokens, output_tokens, requests, cost_micros FROM usage ORDER BY key"
        ).fetchall(),
        db.execute("SELECT * FROM usage_hourly ORDER BY start, provider").fetchall(),
    )


def test_fast_path_reads_exactly_what_line_by_line_reads(corpus: Path) -> None:
    for path in sorted(corpus.rglob("*.jsonl")):
        data = path.read_bytes()
        fast = claude_scan.FileScan(consumed=0)
        claude_scan._fast(data, fast, "cc")
        slow = claude_scan.FileScan(consumed=0)
        claude_scan._line_by_line(data, 0, slow, "cc")
        assert fast.entries == slow.entries, path.name
        assert (fast.lines, fast.usage_lines, fast.malformed, fast.skipped) == (
            slow.lines,
            slow.usage_lines,
            slow.malformed,
            slow.skipped,
        )


def _damaged(corpus: Path) -> bytes:
    """A transcript of the corpus with every kind of line the one-call decode refuses, in its middle."""
    lines = max(corpus.rglob("*.jsonl"), key=lambda p: p.stat().st_size).read_bytes().splitlines(keepends=True)
    usage = [i for i, line in enumerate(lines) if b'"usage"' in line]
    a, b, c, d, e = usage[3], usage[10], usage[20], usage[30], usage[40]
    lines[a] = lines[a][: lines[a].index(b'"usage"') + 20] + b"\n"  # cut inside the usage
    lines[b] = lines[b][: lines[b].index(b'"model"') - 1] + b"\n"  # cut between two keys: joins the next line
    lines[c] = lines[c].replace(b'"sessionId"', b'"sessionId":"\xff","x"', 1)  # invalid UTF-8
    lines[d] = lines[d].replace(b'"id":"msg_', b'"id":5,"x":"', 1)  # a message id that is not a string
    lines[e] = b"\n  \n" + lines[e]  # blank lines
    return b"".join(lines) + lines[usage[50]][:-40]  # ends inside a value


def test_a_refused_line_is_read_on_its_own_and_the_rest_at_once(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _damaged(corpus)
    slow = claude_scan.FileScan(consumed=0)
    claude_scan._line_by_line(data, 0, slow, "cc")
    alone: list[int] = []
    real = claude_scan._Collector.line_by_line

    def counted(self: claude_scan._Collector, part: bytes, base: int) -> None:
        alone.append(len(part.strip().splitlines()))
        real(self, part, base)

    monkeypatch.setattr(claude_scan._Collector, "line_by_line", counted)
    fast = claude_scan.FileScan(consumed=0)
    claude_scan._fast(data, fast, "cc")
    assert fast.entries == slow.entries
    assert (fast.lines, fast.usage_lines, fast.malformed, fast.skipped) == (
        slow.lines,
        slow.usage_lines,
        slow.malformed,
        slow.skipped,
    )
    # Malformed: the three damaged lines that still hold their usage, and the cut last one (the
    # line cut before its usage is no usage line).
    assert slow.malformed == 3 + 1
    # Each refused line (and the one a cut line ran into) was read alone, never the whole block.
    assert sum(alone) <= 2 * 5, alone


def test_workers_and_small_batches_import_the_same_as_one_pass(
    corpus: Path, tmp_path: Path, now: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = open_ledger(tmp_path / "one.db")
    first = import_account(one, _account(one, corpus, now), clock=clock)
    # Worker processes for any size, and a flush every few messages: duplicates then meet
    # entries that are already in the ledger rather than in memory.
    monkeypatch.setattr(claude_import, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(claude_import, "TASK_BYTES", 64 << 10)
    monkeypatch.setattr(claude_import, "FLUSH_MESSAGES", 7)
    used: list[int] = []
    count = claude_import.worker_count
    monkeypatch.setattr(claude_import, "worker_count", lambda plans: used.append(max(2, count(plans))) or used[-1])
    other = open_ledger(tmp_path / "other.db")
    second = import_account(other, _account(other, corpus, now), clock=clock)
    assert used == [2]
    assert first.as_dict() == second.as_dict()
    assert first.imported > 100 and first.duplicates > first.imported  # repeats were collapsed
    assert first.imported == one.execute("SELECT count(*) FROM log_entries").fetchone()[0]
    assert _ledger(one) == _ledger(other)


def test_a_first_import_writes_what_the_path_of_later_imports_writes(
    tmp_path: Path, now: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first import sets most entries apart and writes them at once; later imports judge each one.

    On a dense corpus with cut lines and sessions copied into other projects (every message of a
    copy is a duplicate from another file), with workers and small batches, both write the same.
    """
    import shutil

    logs = tmp_path / "claude"
    generate(logs, 2_000_000, seed=13, density="dense")
    for n, session in enumerate(sorted((logs / "projects").rglob("*.jsonl"))[:3]):
        copy = logs / "projects" / f"copy-{n}" / session.name
        copy.parent.mkdir(parents=True)
        shutil.copy(session, copy)
    monkeypatch.setattr(claude_import, "TASK_BYTES", 64 << 10)
    monkeypatch.setattr(claude_import, "FLUSH_MESSAGES", 50)
    first = open_ledger(tmp_path / "first.db")
    staged = import_account(first, _account(first, logs, now), clock=clock)
    # The same files as if the account had been imported before: each entry judged on its own.
    from tokenwallet.sync.log_import import importer

    monkeypatch.setattr(importer.log_files, "has_local_rows", lambda db, account_id: True)
    later = open_ledger(tmp_path / "later.db")
    judged = import_account(later, _account(later, logs, now), clock=clock)
    assert staged.as_dict() == judged.as_dict()
    assert staged.malformed > 0 and staged.duplicates > staged.imported // 2
    assert _ledger(first) == _ledger(later)


def test_a_first_import_overtaken_by_another_reads_again_as_a_later_one(
    corpus: Path, tmp_path: Path, now: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two first imports of one account at once: the second to write judges against the first."""
    path = tmp_path / "ledger.db"
    db = open_ledger(path)
    account = _account(db, corpus, now)
    real = claude_import.Staged.add_task
    others: list[Any] = []

    def add_task(self: claude_import.Staged, task: Any) -> None:
        if not others:  # while this import reads, another process imports the same folder
            others.append(None)
            other = open_ledger(path)
            others[0] = import_account(other, account, clock=clock)
            other.close()
        real(self, task)

    monkeypatch.setattr(claude_import.Staged, "add_task", add_task)
    summary = import_account(db, account, clock=clock)
    assert others[0].imported > 100 and summary.imported == 0 and summary.files_read == 0
    whole = open_ledger(tmp_path / "whole.db")
    monkeypatch.setattr(claude_import.Staged, "add_task", real)
    import_account(whole, _account(whole, corpus, now), clock=clock)
    assert _ledger(db) == _ledger(whole)


def test_incremental_import_matches_a_full_one(corpus: Path, tmp_path: Path, now: Any, clock: Any) -> None:
    import shutil

    logs = tmp_path / "claude"
    shutil.copytree(corpus, logs)
    growing = open_ledger(tmp_path / "growing.db")
    account = _account(growing, logs, now)
    import_account(growing, account, clock=clock)
    before = growing.execute("SELECT count(*) FROM log_entries").fetchone()[0]
    append(logs, 200_000, seed=5)
    later = import_account(growing, account, clock=clock)
    assert 0 < later.bytes_read < 400_000 and later.imported > 0
    assert later.imported == growing.execute("SELECT count(*) FROM log_entries").fetchone()[0] - before
    whole = open_ledger(tmp_path / "whole.db")
    import_account(whole, _account(whole, logs, now), clock=clock)
    assert _ledger(growing) == _ledger(whole)


def test_buckets_and_rollups_equal_the_entries(corpus: Path, db: Any, now: Any, clock: Any) -> None:
    import_account(db, _account(db, corpus, now), clock=clock)
    sums = "count(*), sum(input_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(output_tokens)"
    assert (
        db.execute(f"SELECT {sums}, sum(cost_micros) FROM log_entries").fetchone()
        == db.execute(
            "SELECT sum(requests), sum(input_tokens), sum(cached_input_tokens), sum(cache_write_tokens), "
            "sum(output_tokens), sum(cost_micros) FROM usage"
        ).fetchone()
    )
    rollup = db.execute("SELECT sum(cost_micros), sum(tokens), sum(rows) FROM usage_daily").fetchone()
    direct = db.execute(
        "SELECT sum(cost_micros), sum(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens), "
        "count(*) FROM usage"
    ).fetchone()
    assert rollup == direct
    # Every bucket is a quarter hour, and no request sits outside its bucket.
    assert db.execute("SELECT DISTINCT bucket_end - bucket_start, bucket_start % 900 FROM usage").fetchall() == [
        (900, 0)
    ]
    # The rollup triggers are back in place after the first import's bulk write.
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'usage'")}
    assert {"usage_hourly_insert", "usage_daily_update", "usage_daily_delete"} <= names


def test_a_failed_first_import_leaves_nothing_behind(
    corpus: Path, db: Any, now: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _account(db, corpus, now)
    real = log_entries.apply
    written: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> None:
        # The buckets are written last: by now the entries are in and their key index rebuilt.
        written.append(db.execute("SELECT count(*) FROM log_entries").fetchone()[0])
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(log_entries, "apply", failing)
    with pytest.raises(sqlite3.OperationalError):
        import_account(db, account, clock=clock)
    assert written and written[0] > 100
    assert db.execute("SELECT count(*) FROM log_entries").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM usage").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM log_files").fetchone() == (0,)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'usage'")}
    assert len(names) == 6  # the rollup triggers were restored with the rollback
    assert db.execute("SELECT 1 FROM sqlite_master WHERE name = 'log_entries_key'").fetchone() == (1,)
    monkeypatch.setattr(log_entries, "apply", real)
    again = import_account(db, account, clock=clock)
    assert again.imported > 0


def test_per_request_rows_of_earlier_versions_become_entries_and_buckets(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path))
    MIGRATIONS.apply(old, stop_before="m003_log_entries")
    old.execute(
        "INSERT INTO accounts (id, kind, label, created_at) VALUES ('cc', 'claude-code', 'cc', 0), "
        "('oa', 'openai', 'oa', 0)"
    )
    rows = [
        ("cc", "local_log", "msg_1/req_1", 1_763_000_100, "claude-sonnet-4-6", 10, 5, 40, 7, 1234, '{"c1h":30}'),
        ("cc", "local_log", "msg_2/req_2", 1_763_000_200, "claude-sonnet-4-6", 1, 0, 0, 2, 50, '{"sidechain":true}'),
        ("cc", "local_log", "line:12:s:2025", 1_763_004_000, "claude-imaginary", 3, 0, 0, 4, None, "{}"),
        ("oa", "api_cost", "d1", 1_763_000_000, "gpt-5", 0, 0, 0, 0, 999, "{}"),
    ]
    for account_id, source, key, at, model, inp, cached, write, out, cost, extra in rows:
        old.execute(
            "INSERT INTO usage (account_id, source, key, bucket_start, bucket_end, provider, model, confidence, "
            "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, requests, cost_micros, project, "
            "extra, recorded_at) VALUES (?, ?, ?, ?, ?, 'anthropic', ?, 'estimated', ?, ?, ?, ?, 1, ?, '/p', ?, 5)",
            [account_id, source, key, at, at, model, inp, cached, write, out, cost, extra],
        )
    old.conn.commit()
    old.close()
    db = open_ledger(path)
    entries = db.execute(
        "SELECT entry_hash, request_hash, cache_write_tokens, cache_1h_tokens, flags FROM log_entries ORDER BY at"
    ).fetchall()
    assert entries == [
        (log_entries.key_hash("msg_1"), log_entries.request_hash("req_1"), 40, 30, 0),
        (log_entries.key_hash("msg_2"), log_entries.request_hash("req_2"), 0, 0, log_entries.SIDECHAIN),
        (log_entries.key_hash("line:12:s:2025"), 0, 0, 0, 0),
    ]
    buckets = db.execute(
        "SELECT bucket_start, model, requests, input_tokens, output_tokens, cost_micros FROM usage "
        "WHERE account_id = 'cc' ORDER BY bucket_start"
    ).fetchall()
    quarter = 1_763_000_100 - 1_763_000_100 % 900
    assert buckets == [
        (quarter, "claude-sonnet-4-6", 2, 11, 9, 1284),
        (1_763_004_000 - 1_763_004_000 % 900, "claude-imaginary", 1, 3, 4, None),
    ]
    assert db.execute("SELECT key, cost_micros FROM usage WHERE account_id = 'oa'").fetchall() == [("d1", 999)]
    assert db.execute("SELECT sum(cost_micros) FROM usage_daily WHERE account_id = 'cc'").fetchone() == (1284,)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'usage'")}
    assert len(names) == 6  # the rollup triggers set aside during the migration are back
    db.execute("DELETE FROM usage WHERE account_id = 'oa'")
    assert db.execute("SELECT count(*) FROM usage_daily WHERE account_id = 'oa' AND rows > 0").fetchone() == (0,)


def test_workers_started_as_fresh_interpreters_import_the_same(
    corpus: Path, tmp_path: Path, now: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tray app imports from a thread, and other systems cannot fork: workers are then spawned."""
    import multiprocessing

    one = open_ledger(tmp_path / "one.db")
    first = import_account(one, _account(one, corpus, now), clock=clock)
    monkeypatch.setattr(claude_import, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(claude_import, "_context", lambda: multiprocessing.get_context("spawn"))
    other = open_ledger(tmp_path / "other.db")
    second = import_account(other, _account(other, corpus, now), clock=clock)
    assert first.as_dict() == second.as_dict() and _ledger(one) == _ledger(other)


def test_unpriced_models_are_those_of_this_import_only(tmp_path: Path, now: Any, clock: Any) -> None:
    """A long-lived process (the tray app) imports many times; each summary names its own models."""
    line = (
        '{"type":"assistant","timestamp":"2026-11-20T10:00:00Z","sessionId":"s","version":"2.1.40",'
        '"requestId":"r1","cwd":"/w","message":{"id":"m1","model":"%s","usage":{"input_tokens":5,'
        '"output_tokens":1}}}\n'
    )
    summaries = []
    for name, model in (("a", "claude-unknown-7"), ("b", "claude-sonnet-4-6")):
        root = tmp_path / name / "projects" / "p"
        root.mkdir(parents=True)
        (root / "s.jsonl").write_text(line % model)
        db = open_ledger(tmp_path / f"{name}.db")
        summaries.append(import_account(db, _account(db, tmp_path / name, now), clock=clock))
    assert summaries[0].unpriced_models == ["claude-unknown-7"] and summaries[0].unpriced_entries == 1
    assert summaries[1].unpriced_models == [] and summaries[1].unpriced_entries == 0
