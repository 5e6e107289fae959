"""A long first import reads without any lock and writes in one short transaction at the end.

The ledger is in WAL mode, so a reader sees the last committed state while the import writes; no
command that only reads may need the write lock (opening an up-to-date ledger takes none).  While
the import is still reading, other writers (``usage add``) go ahead at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.benchmarks.claude_corpus import generate
from tokenwallet.cli.root import cli
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.ledger import accounts, log_entries
from tokenwallet.ledger.db import LedgerDatabase, open_ledger
from tokenwallet.paths import AppPaths
from tokenwallet.sync.log_import.importer import import_account


@pytest.fixture
def setup(tmp_path: Path, now: Any) -> tuple[Path, LedgerDatabase, Account]:
    logs = tmp_path / "claude"
    generate(logs, 300_000, seed=5)
    home = tmp_path / "home"
    db = open_ledger(AppPaths.under(str(home)).ensure().ledger_file)
    account = accounts.add(
        db, Account(id="cc", kind=AccountKind.CLAUDE_CODE, label="cc", config={"paths": [str(logs)]}), at=now
    )
    return home, db, account


def _paused(db: LedgerDatabase, account: Account, clock: Any, pause: Callable[[Callable[[], None]], None]) -> Any:
    """Run the import in a thread; ``pause`` receives a callable that holds it until released."""
    reached, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        if not reached.is_set():
            reached.set()
            release.wait(60)

    pause(hold)

    def run() -> None:
        try:
            import_account(db, account, clock=clock)
        except BaseException as exc:  # reported by the test
            failure.append(exc)
        finally:
            reached.set()

    thread = threading.Thread(target=run)
    thread.start()
    assert reached.wait(60) and not failure
    return thread, release, failure


def _cli(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def test_status_answers_while_a_first_import_is_writing(
    setup: tuple[Path, LedgerDatabase, Account], clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, db, account = setup
    real = log_entries.apply

    def pause(hold: Callable[[], None]) -> None:
        def apply(*args: Any, **kwargs: Any) -> None:
            real(*args, **kwargs)
            assert db.conn.in_transaction  # the write lock is held, the entries are written
            hold()

        monkeypatch.setattr(log_entries, "apply", apply)

    thread, release, failure = _paused(db, account, clock, pause)
    try:
        status = _cli(home, "status", "--json")
        assert status.exit_code == 0, status.output
        during = _cli(home, "usage", "list", "--json")
        assert during.exit_code == 0, during.output
        assert json.loads(during.stdout)["usage"] == []  # the import's rows are not committed yet
    finally:
        release.set()
        thread.join(60)
    assert not failure
    assert len(json.loads(_cli(home, "usage", "list", "--json").stdout)["usage"]) > 0
    db.close()


def test_other_writers_go_ahead_while_a_first_import_reads(
    setup: tuple[Path, LedgerDatabase, Account], clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, db, account = setup
    from tokenwallet.sync.log_import import claude_import

    def pause(hold: Callable[[], None]) -> None:
        real = claude_import.Staged.add_task

        def add_task(self: claude_import.Staged, task: Any) -> None:
            assert not db.conn.in_transaction  # reading: no lock held
            hold()
            real(self, task)

        monkeypatch.setattr(claude_import.Staged, "add_task", add_task)

    thread, release, failure = _paused(db, account, clock, pause)
    try:
        added = _cli(home, "usage", "add", "--provider", "p", "--amount", "1.50")
        assert added.exit_code == 0, added.output
    finally:
        release.set()
        thread.join(60)
    assert not failure
    rows = json.loads(_cli(home, "usage", "list", "--json").stdout)["usage"]
    sources = {row["source"] for row in rows}
    assert sources == {"manual", "local_log"}
    db.close()
