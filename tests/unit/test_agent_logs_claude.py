"""Claude Code import: parsing, ccusage de-duplication, pricing, bad lines and incremental reads."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.ledger import accounts, log_entries
from tokenwallet.sync.log_import import importer
from tokenwallet.sync.log_import.importer import import_account

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agent_logs" / "claude"
SESSION = "-home-alice-src-app/5b0e2d4c-7a7e-4a8e-9d0c-3f1c2b7a9e10.jsonl"


def _line(
    msg: str,
    req: str,
    *,
    ts: str = "2026-11-26T10:00:00.000Z",
    out: int = 10,
    sidechain: bool = False,
    model: str = "claude-sonnet-4-20250514",
    text: str = "x",
) -> str:
    return json.dumps(
        {
            "type": "assistant",
            "timestamp": ts,
            "sessionId": "s1",
            "version": "2.1.40",
            "requestId": req,
            "isSidechain": sidechain,
            "cwd": "/w",
            "message": {
                "id": msg,
                "model": model,
                "content": [{"type": "text", "text": text}],
                "usage": {
                    "input_tokens": 100,
                    "output_tokens": out,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            },
        },
        separators=(",", ":"),
    )


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    target = tmp_path / "claude"
    shutil.copytree(FIXTURES, target)
    return target


def _account(db: Any, root: Path, now: Any) -> Account:
    return accounts.add(
        db, Account(id="cc", kind=AccountKind.CLAUDE_CODE, label="cc", config={"paths": [str(root)]}), at=now
    )


def _ids() -> set[str]:
    """Every message and request id the fixtures and these tests use (entries store their hashes)."""
    found = {"", "msg_new", "req_new", "r_side", "r_main", "big", "rbig"} | {f"{p}{i}" for p in "mr" for i in range(60)}
    for path in FIXTURES.rglob("*.jsonl"):
        found.update(re.findall(r'"(?:id|requestId)":"([^"]+)"', path.read_text("utf-8", "replace")))
    return found


_NAMES = {log_entries.key_hash(n): n for n in _ids()}
_REQUESTS = {log_entries.request_hash(n): n for n in _ids()}


def _rows(db: Any) -> dict[str, tuple[Any, ...]]:
    """Stored entries by "message id/request id": model, input, cache read, cache write, output, cost."""
    return {
        f"{_NAMES[r[0]]}/{_REQUESTS.get(r[1], r[1])}": r[2:]
        for r in db.execute(
            "SELECT entry_hash, request_hash, model, input_tokens, cached_input_tokens, cache_write_tokens, "
            "output_tokens, cost_micros FROM log_entries "
            "WHERE account = (SELECT id FROM log_accounts WHERE account_id = 'cc')"
        ).fetchall()
    }


def _buckets_match_entries(db: Any) -> None:
    """The quarter-hour usage rows hold exactly the sums of the stored entries."""
    entries = db.execute(
        "SELECT count(*), sum(input_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(output_tokens), "
        "sum(coalesce(cost_micros, 0)) FROM log_entries "
        "WHERE account = (SELECT id FROM log_accounts WHERE account_id = 'cc')"
    ).fetchone()
    buckets = db.execute(
        "SELECT coalesce(sum(requests), 0), sum(input_tokens), sum(cached_input_tokens), sum(cache_write_tokens), "
        "sum(output_tokens), sum(coalesce(cost_micros, 0)) FROM usage WHERE account_id = 'cc'"
    ).fetchone()
    assert entries == buckets


def test_fixture_import_dedupes_prices_and_counts_bad_lines(db: Any, logs: Path, clock: Any, now: Any) -> None:
    summary = import_account(db, _account(db, logs, now), clock=clock)
    rows = _rows(db)
    # msg_A: three content-block lines plus a sidechain replay -> one row, the largest usage (50 output).
    assert [k for k in rows if k.startswith("msg_A")] == ["msg_A/req_A"]
    assert rows["msg_A/req_A"][:5] == ("claude-sonnet-4-20250514", 4, 2000, 1000, 50)
    assert rows["msg_A/req_A"][5] == 5112  # 4*3 + 2000*0.3 + 1000*3.75 + 50*15 micro-USD
    assert rows["msg_B/req_B"][5] == 37550  # 1-hour cache writes at $10/MTok for Opus 4.6
    assert rows["msg_F/req_F"][5] == (10 * 5 + 100 * 25) * 6  # fast mode
    assert rows["msg_U/req_U"][5] is None  # unknown model: unpriced, not $0
    assert rows["msg_S/req_S"][5] == 0  # <synthetic>: no API call
    assert "msg_N/req_N" not in rows and not any(k.startswith("msg_N2") for k in rows)  # explicit nulls refused
    assert not any(k.startswith(("msg_T", "msg_X")) for k in rows)  # cut line and invalid UTF-8
    assert db.execute("SELECT DISTINCT confidence, source FROM usage WHERE account_id = 'cc'").fetchall() == [
        ("estimated", "local_log")
    ]
    _buckets_match_entries(db)
    assert summary.malformed == 2 and summary.skipped == 2
    assert summary.duplicates == 3
    assert summary.imported == len(rows) == 7
    assert summary.unpriced_models == ["claude-imaginary-9"] and summary.unpriced_entries == 1


def test_reimport_reads_nothing_and_appends_only_new(db: Any, logs: Path, clock: Any, now: Any) -> None:
    account = _account(db, logs, now)
    import_account(db, account, clock=clock)
    again = import_account(db, account, clock=clock)
    assert again.files_read == 0 and again.bytes_read == 0 and again.imported == 0
    path = logs / "projects" / SESSION
    before = path.stat().st_size
    with path.open("a") as fh:
        fh.write(_line("msg_new", "req_new") + "\n")
    third = import_account(db, account, clock=clock)
    assert third.bytes_read == path.stat().st_size - before
    assert third.entries == 1 and "msg_new/req_new" in _rows(db)
    assert len(_rows(db)) == 8


def test_partial_last_line_waits_for_its_newline(db: Any, tmp_path: Path, clock: Any, now: Any) -> None:
    root = tmp_path / "projects" / "p"
    root.mkdir(parents=True)
    path = root / "s.jsonl"
    whole = _line("m1", "r1")
    path.write_text(_line("m0", "r0") + "\n" + whole[:50])
    account = _account(db, tmp_path, now)
    first = import_account(db, account, clock=clock)
    assert first.partial_lines == 1 and set(_rows(db)) == {"m0/r0"}
    with path.open("a") as fh:
        fh.write(whole[50:] + "\n")
    second = import_account(db, account, clock=clock)
    assert second.entries == 1 and set(_rows(db)) == {"m0/r0", "m1/r1"}


def test_duplicates_across_runs_and_files_count_once(db: Any, tmp_path: Path, clock: Any, now: Any) -> None:
    root = tmp_path / "projects" / "p"
    root.mkdir(parents=True)
    (root / "a.jsonl").write_text(_line("m1", "r1", out=10) + "\n")
    account = _account(db, tmp_path, now)
    import_account(db, account, clock=clock)
    # The same message seen again later, in a new file, with the final (larger) usage.
    (root / "b.jsonl").write_text(_line("m1", "r1", out=99) + "\n")
    import_account(db, account, clock=clock)
    assert _rows(db)["m1/r1"][4] == 99
    # A smaller copy arriving later does not replace the kept one.
    (root / "c.jsonl").write_text(_line("m1", "r1", out=5) + "\n")
    import_account(db, account, clock=clock)
    assert len(_rows(db)) == 1 and _rows(db)["m1/r1"][4] == 99
    _buckets_match_entries(db)


def test_parent_arriving_after_its_sidechain_replaces_it(db: Any, tmp_path: Path, clock: Any, now: Any) -> None:
    root = tmp_path / "projects" / "p"
    root.mkdir(parents=True)
    (root / "side.jsonl").write_text(_line("m1", "r_side", sidechain=True) + "\n")
    account = _account(db, tmp_path, now)
    import_account(db, account, clock=clock)
    assert set(_rows(db)) == {"m1/r_side"}
    (root / "main.jsonl").write_text(_line("m1", "r_main") + "\n")
    import_account(db, account, clock=clock)
    assert set(_rows(db)) == {"m1/r_main"}
    _buckets_match_entries(db)


def test_truncated_rotated_and_deleted_files(db: Any, tmp_path: Path, clock: Any, now: Any) -> None:
    root = tmp_path / "projects" / "p"
    root.mkdir(parents=True)
    path = root / "s.jsonl"
    path.write_text(_line("m1", "r1") + "\n" + _line("m2", "r2") + "\n")
    account = _account(db, tmp_path, now)
    import_account(db, account, clock=clock)
    # Truncated and rewritten shorter: read again from the start, nothing counted twice.
    path.write_text(_line("m3", "r3") + "\n")
    shrunk = import_account(db, account, clock=clock)
    assert shrunk.bytes_read == path.stat().st_size
    assert set(_rows(db)) == {"m1/r1", "m2/r2", "m3/r3"}
    # Replaced by a different file of the same name that is longer (rotation): head hash differs.
    os.remove(path)
    path.write_text(_line("m4", "r4", text="y" * 400) + "\n" + _line("m5", "r5") + "\n")
    rotated = import_account(db, account, clock=clock)
    assert rotated.bytes_read == path.stat().st_size and {"m4/r4", "m5/r5"} <= set(_rows(db))
    # Deleted by the agent's cleanup: its usage stays, its file state is forgotten.
    os.remove(path)
    gone = import_account(db, account, clock=clock)
    assert gone.files_forgotten == 1 and len(_rows(db)) == 5
    _buckets_match_entries(db)
    assert db.execute("SELECT count(*) FROM log_files").fetchone()[0] == 0


def test_line_over_one_megabyte_is_read(db: Any, tmp_path: Path, clock: Any, now: Any) -> None:
    root = tmp_path / "projects" / "p"
    root.mkdir(parents=True)
    big = _line("big", "rbig", text="z" * 1_500_000)
    assert len(big) > 1 << 20
    (root / "s.jsonl").write_text(big + "\n" + _line("m1", "r1") + "\n")
    summary = import_account(db, _account(db, tmp_path, now), clock=clock)
    assert summary.malformed == 0 and set(_rows(db)) == {"big/rbig", "m1/r1"}


def test_missing_folder_is_a_clear_error(db: Any, tmp_path: Path, clock: Any, now: Any) -> None:
    from tokenwallet.domain.errors import UserInputError

    with pytest.raises(UserInputError, match="Log folder not found"):
        import_account(db, _account(db, tmp_path / "nope", now), clock=clock)


def test_memory_ledger_and_progress(tmp_path: Path, clock: Any, now: Any) -> None:
    from tokenwallet.ledger.db import open_memory_ledger

    # An in-memory connection is bound to its thread: the writer falls back to writing in the caller's.
    db = open_memory_ledger()
    root = tmp_path / "projects" / "p"
    root.mkdir(parents=True)
    (root / "s.jsonl").write_text("".join(_line(f"m{i}", f"r{i}") + "\n" for i in range(50)))
    seen: list[tuple[int, int]] = []
    summary = import_account(db, _account(db, tmp_path, now), clock=clock, progress=lambda d, t: seen.append((d, t)))
    assert summary.imported == 50 and len(_rows(db)) == 50
    size = (root / "s.jsonl").stat().st_size
    assert seen[-1] == (size, size)


def test_duplicates_in_later_files_of_one_import_replace_written_entries(
    db: Any, tmp_path: Path, clock: Any, now: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tokenwallet.sync.log_import import claude_import

    # Written after every file: later lines meet entries that are already in the ledger.
    monkeypatch.setattr(claude_import, "FLUSH_MESSAGES", 1)
    root = tmp_path / "projects" / "p"
    root.mkdir(parents=True)
    (root / "a.jsonl").write_text(_line("m1", "r_side", sidechain=True) + "\n" + _line("m2", "r2", out=10) + "\n")
    (root / "b.jsonl").write_text(_line("m1", "r_main") + "\n" + _line("m2", "r2", out=70) + "\n")
    (root / "c.jsonl").write_text(_line("m2", "r2", out=20) + "\n" + _line("m3", "r3") + "\n")
    summary = import_account(db, _account(db, tmp_path, now), clock=clock)
    rows = _rows(db)
    assert set(rows) == {"m1/r_main", "m2/r2", "m3/r3"} and rows["m2/r2"][4] == 70
    assert summary.imported == 3 and summary.duplicates == 3
    _buckets_match_entries(db)


def test_later_import_judges_many_stored_messages_looked_up_in_chunks(
    db: Any, tmp_path: Path, clock: Any, now: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_entries, "HASHES_PER_QUERY", 2)  # several lookups for the seven messages below
    root = tmp_path / "projects" / "p"
    root.mkdir(parents=True)
    (root / "a.jsonl").write_text("".join(_line(f"m{i}", f"r{i}", out=10) + "\n" for i in range(4)))
    account = _account(db, tmp_path, now)
    import_account(db, account, clock=clock)
    # Later: m0 and m2 again with more output (they replace), m1 again with less (kept as stored),
    # m3 not again, and m4..m6 new.
    later = [("m0", 20), ("m1", 5), ("m2", 30), ("m4", 1), ("m5", 2), ("m6", 3)]
    (root / "b.jsonl").write_text("".join(_line(m, "r" + m[1:], out=out) + "\n" for m, out in later))
    summary = import_account(db, account, clock=clock)
    outputs = {key: row[4] for key, row in _rows(db).items()}
    assert outputs == {"m0/r0": 20, "m1/r1": 10, "m2/r2": 30, "m3/r3": 10, "m4/r4": 1, "m5/r5": 2, "m6/r6": 3}
    assert summary.imported == 3  # the new messages; the replaced ones are still one request each
    _buckets_match_entries(db)


def test_bulk_settings_are_restored_after_a_first_import(db: Any, logs: Path, clock: Any, now: Any) -> None:
    before = [db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("threads", "cache_size", "foreign_keys")]
    import_account(db, _account(db, logs, now), clock=clock)
    after = [db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("threads", "cache_size", "foreign_keys")]
    assert after == before
    assert 1 <= importer.sort_threads() <= importer.MAX_SORT_THREADS
