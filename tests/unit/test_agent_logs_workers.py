"""Worker processes of a Claude Code import die with the import: SIGKILL, SIGTERM or an error."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.benchmarks.claude_corpus import generate
from tokenwallet.sync.log_import import workers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# An import of a generated corpus, with worker processes for any size and scans that never end
# (a scan of a huge file, as it were): the import is surely running, with its workers, when the
# test stops it.  Each worker says it started by creating a file named after its pid.
_IMPORT = """
import sys, threading
from datetime import UTC, datetime
from pathlib import Path
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import FixedClock
from tokenwallet.ledger import accounts
from tokenwallet.ledger.db import open_ledger
from tokenwallet.sync.log_import import claude_import
from tokenwallet.sync.log_import.importer import import_account

logs, ledger, started = (Path(a) for a in sys.argv[1:4])

def endless_scan(*task):
    import os
    (started / str(os.getpid())).touch()
    threading.Event().wait()

claude_import.PARALLEL_MIN_BYTES = 0
claude_import.TASK_BYTES = 1
claude_import.worker_count = lambda plans: 2
claude_import.scan_files = endless_scan
now = datetime(2026, 11, 27, tzinfo=UTC)
db = open_ledger(ledger)
account = accounts.add(db, Account(id="cc", kind=AccountKind.CLAUDE_CODE, label="cc",
                                   config={"paths": [str(logs)]}), at=now)
import_account(db, account, clock=FixedClock(now))
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; returns whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        threading.Event().wait(0.02)
    return condition()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated session, copied into four projects (four files: four tasks for the workers)."""
    root = tmp_path_factory.mktemp("corpus") / "claude"
    generate(root, 400_000, seed=11)
    session = next((root / "projects").rglob("*.jsonl"))
    for n in range(3):
        copy = root / "projects" / f"copy-{n}" / session.name
        copy.parent.mkdir(parents=True)
        shutil.copy(session, copy)
    return root


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_no_worker_outlives_a_stopped_import(corpus: Path, tmp_path: Path, stop: signal.Signals) -> None:
    started = tmp_path / "started"
    started.mkdir()
    ledger = tmp_path / "ledger.db"
    proc = subprocess.Popen([sys.executable, "-c", _IMPORT, str(corpus), str(ledger), str(started)])
    try:
        assert _wait_for(lambda: len(list(started.iterdir())) >= 2 or proc.poll() is not None)
        assert proc.poll() is None, "the import ended before it was stopped"
        pids = [int(p.name) for p in started.iterdir()]
        assert all(_alive(pid) for pid in pids)
        os.kill(proc.pid, stop)
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    try:
        assert _wait_for(lambda: not any(_alive(pid) for pid in pids), timeout=10), "a worker outlived the import"
    finally:
        for pid in pids:  # never leave one behind, even when the test fails
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    if stop == signal.SIGTERM:
        # The import stopped as a terminated process does, and its transaction was rolled back.
        assert code == 128 + signal.SIGTERM
        with sqlite3.connect(ledger) as conn:
            assert conn.execute("SELECT count(*) FROM log_entries").fetchone() == (0,)
    else:
        assert code == -signal.SIGKILL


def _endless() -> None:
    threading.Event().wait()


def test_an_error_in_the_import_stops_its_workers_at_once() -> None:
    context = multiprocessing.get_context("fork")
    with pytest.raises(RuntimeError, match="ledger failed"), workers.pool(2, context) as pool:
        futures = [pool.submit(_endless) for _ in range(4)]
        processes = list(pool._processes.values())  # type: ignore[attr-defined]
        assert _wait_for(lambda: all(p.is_alive() for p in processes) and len(processes) == 2)
        assert not futures[0].done()
        raise RuntimeError("ledger failed")  # e.g. the ledger write fails while workers scan
    assert _wait_for(lambda: not any(p.is_alive() for p in processes), timeout=10)


def test_a_worker_whose_parent_is_already_gone_exits() -> None:
    """A worker started after its parent died (reparented before it could ask the kernel) exits."""
    context = multiprocessing.get_context("fork")
    orphan = context.Process(target=workers.init_worker, args=(1 if os.getpid() != 1 else 2,))
    orphan.start()
    orphan.join(20)
    assert orphan.exitcode == 1
    child = context.Process(target=workers.init_worker, args=(os.getpid(),))
    child.start()
    child.join(20)
    assert child.exitcode == 0
