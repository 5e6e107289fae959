"""A long first import holds the write lock in one transaction; readers never wait for it.

The ledger is in WAL mode, so a reader sees the last committed state while the import writes; no
command that only reads may need the write lock (opening an up-to-date ledger takes none).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tests.benchmarks.claude_corpus import generate
from tokenwallet.cli import cli
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.ledger import accounts
from tokenwallet.ledger.db import open_ledger
from tokenwallet.paths import AppPaths
from tokenwallet.sync.log_import.importer import import_account


def test_status_answers_while_a_first_import_is_writing(tmp_path: Path, clock: Any, now: Any) -> None:
    logs = tmp_path / "claude"
    generate(logs, 300_000, seed=5)
    home = tmp_path / "home"
    db = open_ledger(AppPaths.under(str(home)).ensure().ledger_file)
    account = accounts.add(
        db, Account(id="cc", kind=AccountKind.CLAUDE_CODE, label="cc", config={"paths": [str(logs)]}), at=now
    )
    writing, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold(done: int, total: int) -> None:
        # Called inside the import's transaction, after its first writes: the write lock is held.
        if db.conn.in_transaction and not writing.is_set():
            writing.set()
            release.wait(60)

    def run() -> None:
        try:
            import_account(db, account, clock=clock, progress=hold)
        except BaseException as exc:  # reported by the test below
            failure.append(exc)
        finally:
            writing.set()

    importer = threading.Thread(target=run)
    importer.start()
    try:
        assert writing.wait(60) and not failure
        runner = CliRunner()
        status = runner.invoke(cli, ["--home", str(home), "status", "--json"])
        assert status.exit_code == 0, status.output
        during = runner.invoke(cli, ["--home", str(home), "usage", "list", "--json"])
        assert during.exit_code == 0, during.output
        assert json.loads(during.stdout)["usage"] == []  # the import's rows are not committed yet
    finally:
        release.set()
        importer.join(60)
    assert not failure
    after = CliRunner().invoke(cli, ["--home", str(home), "usage", "list", "--json"])
    assert len(json.loads(after.stdout)["usage"]) > 0
    db.close()
