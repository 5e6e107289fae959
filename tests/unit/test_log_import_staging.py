"""Which entries a first import's scans set apart, and that they come back as they went."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tokenwallet.ledger.log_entries import SIDECHAIN, add_moves
from tokenwallet.sources.agent_logs.claude_scan import FileScan, TaskScan
from tokenwallet.sync.log_import import staging


def _row(mid: int, rid: int = 1, flags: int = 0, cost: int | None = 5) -> tuple[object, ...]:
    return ("acc", mid, rid, 1_790_000_000 + mid, "m", "/p", 1, 2, 3, 0, 4, cost, flags)


def _task(*files: list[tuple[object, ...]]) -> TaskScan:
    return TaskScan([FileScan(consumed=0, entries=list(rows)) for rows in files])


def _apart(task: TaskScan) -> list[tuple[object, ...]]:
    return staging.apart_rows(task, "acc")


def test_messages_seen_once_go_apart_and_come_back_in_order() -> None:
    task = _task([_row(3), _row(1, cost=None)], [_row(2)])
    staging.set_apart(task)
    assert _apart(task) == [_row(3), _row(1, cost=None), _row(2)]
    assert [scan.entries for scan in task.files] == [[], []]
    assert list(staging.apart_ids(task)) == [3, 1, 2]
    assert (task.apart_count, task.apart_unpriced) == (3, 1)


def test_a_message_seen_twice_or_with_a_sidechain_stays_to_be_judged() -> None:
    side = _row(7, rid=2, flags=SIDECHAIN)
    task = _task([_row(4), _row(5, rid=1)], [_row(5, rid=2), _row(6)], [side])
    staging.set_apart(task)
    assert _apart(task) == [_row(4), _row(6)]
    assert [scan.entries for scan in task.files] == [[_row(5, rid=1)], [_row(5, rid=2)], [side]]


def test_a_lone_sidechain_entry_is_judged_too() -> None:
    """Its parent may come in another task: the message is then judged as a whole."""
    side = _row(8, flags=SIDECHAIN)
    task = _task([side])
    staging.set_apart(task)
    assert task.apart == b"" and task.files[0].entries == [side]


def test_a_file_unreadable_half_way_adds_nothing_to_the_bucket_sums(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its blocks read before the failure were summed already: those sums must not count."""
    from tests.benchmarks.claude_corpus import generate
    from tokenwallet.sources.agent_logs import claude_scan, lines

    generate(tmp_path / "logs", 1_500_000, seed=17, density="dense")
    good, bad = sorted((tmp_path / "logs").rglob("*.jsonl"))[:2]
    monkeypatch.setattr(lines, "BLOCK_BYTES", 64 << 10)
    real = claude_scan.read_at
    reads: dict[object, int] = {}

    def failing(fh: Any, offset: int, size: int) -> bytes:
        if fh.name == str(bad):
            reads[fh] = reads.get(fh, 0) + 1
            if reads[fh] == 3:
                raise lines.Unreadable("input/output error")
        return real(fh, offset, size)

    files = [(str(p), 0, p.stat().st_size, False) for p in (good, bad)]
    alone = claude_scan.scan_files("acc", files[:1])
    monkeypatch.setattr(claude_scan, "read_at", failing)
    monkeypatch.setattr(lines, "read_at", failing)
    both = claude_scan.scan_files("acc", files)
    assert both.files[1].unreadable and both.files[1].entries == []
    assert both.buckets == alone.buckets == add_moves({}, alone.files[0].entries)
