"""`tokenwallet import`: read Claude Code, Codex CLI or Gemini CLI logs into the ledger."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
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

_KINDS = {"claude-code": AccountKind.CLAUDE_CODE, "codex": AccountKind.CODEX, "gemini": AccountKind.GEMINI}


@click.command("import")
@click.argument("agent", type=click.Choice(sorted(_KINDS)))
@click.option(
    "--path",
    "path",
    type=click.Path(path_type=Path),
    help="Log folder to read (default: the agent's folders found on this machine).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
@handle_errors
def import_command(app: AppContext, agent: str, path: Path | None, as_json: bool) -> None:
    """Import what is new in an agent's local logs (incremental; safe to repeat)."""
    kind = _KINDS[agent]
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
    with click.progressbar(length=1, label=f"Importing {agent} logs", file=sys.stderr) as bar:
        shown = 0

        def progress(done: int, size: int) -> None:
            nonlocal shown
            bar.length = max(size, 1)
            bar.update(done - shown)
            shown = done

        for account in accounts:
            shown = 0
            total.add(import_account(db, account, clock=app.clock, progress=progress, price_table=app.paths.cache_dir))
    cost = log_import.recorded_cost(app, ids) - cost_before
    log_import.mark_synced(app, ids)  # an import is a sync of these accounts: "last sync" is now
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


COMMANDS: list[click.Command] = [import_command]
