"""The body of ``tokenwallet import``: read what is new in an agent's logs into the ledger, and say what.

Shared by the click command (:mod:`tokenwallet.cli.imports`, which draws a progress bar on a
terminal) and the quick front end (:mod:`tokenwallet.cli.quick`, which agents' hooks and timers
reach); no click here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tokenwallet.app import AppContext
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table
from tokenwallet.domain.accounts import AccountKind
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import format_money
from tokenwallet.services import log_import
from tokenwallet.sources.agent_logs.common import REJECT_REASONS
from tokenwallet.sync.log_import.importer import (
    ImportSummary,
    ensure_detected_accounts,
    find_or_create_for_path,
    import_account,
)

KINDS = {"claude-code": AccountKind.CLAUDE_CODE, "codex": AccountKind.CODEX, "gemini": AccountKind.GEMINI}
"""The agents whose logs are read, by the name the command takes."""


def label(agent: str) -> str:
    """What the progress bar (or, without a terminal, one line on standard error) says."""
    return f"Importing {agent} logs"


def import_logs(
    app: AppContext, agent: str, path: Path | None, progress: Callable[[int, int], None] | None = None
) -> tuple[ImportSummary, int]:
    """Import what is new for ``agent`` (from ``path``, or every folder found on this machine).

    Returns the summary over the accounts read and the cost, in micro-dollars, of what was
    recorded.  ``progress(done, size)`` is told the bytes read so far and the bytes to read, both
    counted over the accounts from the first (so a bar fills once, never restarts).
    """
    kind = KINDS[agent]
    db = app.ledger()
    now = app.clock()
    if path is not None:
        accounts = [find_or_create_for_path(db, kind, path, at=now)]
    else:
        from tokenwallet.ledger import accounts as accounts_q

        ensure_detected_accounts(db, env=os.environ, home=Path.home(), at=now)
        accounts = [a for a in accounts_q.list_accounts(db, include_disabled=False) if a.kind is kind]
        if not accounts:
            raise UserInputError(f"No {agent} logs found on this machine. Give the log folder with --path DIR.")
    total = ImportSummary(account_id=",".join(a.id for a in accounts), kind=kind.value)
    ids = [a.id for a in accounts]
    cost_before = log_import.recorded_cost(app, ids)
    before = 0  # bytes of the accounts already read
    for account in accounts:
        size_of_this = 0

        def step(done: int, size: int, offset: int = before) -> None:
            nonlocal size_of_this
            size_of_this = size
            if progress is not None:
                progress(offset + done, offset + size)

        total.add(import_account(db, account, clock=app.clock, progress=step, price_table=app.paths.cache_dir))
        before += size_of_this
    cost = log_import.recorded_cost(app, ids) - cost_before
    log_import.mark_synced(app, ids)  # an import is a sync of these accounts: "last sync" is now
    return total, cost


def show_import(agent: str, total: ImportSummary, cost: int, *, as_json: bool = False) -> None:
    """Print what an import did, as a table or as the stable JSON document."""
    if as_json:
        emit_json({"schema": JSON_SCHEMA_VERSION, "import": {**total.as_dict(), "cost_micros": cost}})
        return
    rows = [
        ("files", f"{total.files:,} ({total.files_read:,} read)"),
        ("lines read", f"{total.lines_read:,}"),
        ("entries", f"{total.entries:,}"),
        ("imported", f"{total.imported:,}"),
        ("cost of what was imported", format_money(cost) + (" (estimated from the logs)" if cost else "")),
        ("duplicates", f"{total.duplicates:,}"),
        ("malformed lines skipped", f"{total.malformed:,}"),
        ("lines refused (null fields)", f"{total.skipped:,}"),
        ("incomplete last lines", f"{total.partial_lines:,}"),
        ("lines rejected (limits)", _rejected(total.rejected)),
        (
            "unreadable files (read again next time)",
            f"{total.unreadable_files:,}: {'; '.join(total.unreadable_paths)}" if total.unreadable_files else "0",
        ),
        ("rate-limit readings", f"{total.snapshots:,}"),
        (
            "unpriced models",
            ", ".join(total.unpriced_models) + f" ({total.unpriced_entries:,} entries, shown as unpriced)"
            if total.unpriced_models
            else "none",
        ),
    ]
    table(["", agent], rows)


def _rejected(counts: dict[str, int]) -> str:
    """``3 (token count out of range: 2, line too long: 1)``, or ``0``."""
    total = sum(counts.values())
    if not total:
        return "0"
    parts = [f"{REJECT_REASONS.get(reason, reason)}: {n:,}" for reason, n in sorted(counts.items())]
    return f"{total:,} ({', '.join(parts)})"
