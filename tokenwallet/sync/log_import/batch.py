"""Shared pieces of the agent-log import: the summary, per-file read plans, and the batched row writer."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.errors import UserInputError
from tokenwallet.ledger import log_files, usage
from tokenwallet.sources.agent_logs.common import add_rejected, head_digest
from tokenwallet.sources.agent_logs.lines import os_reason

if TYPE_CHECKING:
    from sqlite_utils import Database

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, bytes to read in total)."""

BATCH_ROWS = 20_000
PROVIDER = {AccountKind.CLAUDE_CODE: "anthropic", AccountKind.CODEX: "openai", AccountKind.GEMINI: "google"}
LABEL = {
    AccountKind.CLAUDE_CODE: "Claude Code logs",
    AccountKind.CODEX: "Codex CLI logs",
    AccountKind.GEMINI: "Gemini CLI logs",
}


SKIP_LINE = "skip_line"
"""Key of a file's saved state: its last read ended inside a line too long to read."""


class ImportSummary(msgspec.Struct):
    """What one import did; ``unpriced_models`` had no price and were stored as unpriced.

    ``rejected`` counts the lines refused for a documented limit, by reason (the keys of
    ``sources.agent_logs.common.REJECT_REASONS``); ``unreadable_paths`` are the files that could
    not be read this time (each with why), tried again by the next import.
    """

    account_id: str
    kind: str
    files: int = 0
    files_read: int = 0
    files_forgotten: int = 0
    bytes_read: int = 0
    lines_read: int = 0
    entries: int = 0
    imported: int = 0
    duplicates: int = 0
    malformed: int = 0
    skipped: int = 0
    partial_lines: int = 0
    unpriced_entries: int = 0
    unpriced_models: list[str] = msgspec.field(default_factory=list)
    snapshots: int = 0
    rejected: dict[str, int] = msgspec.field(default_factory=dict)
    unreadable_files: int = 0
    unreadable_paths: list[str] = msgspec.field(default_factory=list)

    def reject(self, counts: dict[str, int]) -> None:
        """Add rejected-line counts by reason."""
        for reason, n in counts.items():
            add_rejected(self.rejected, reason, n)

    def unreadable(self, path: Path | str, why: str) -> None:
        """Count a file that could not be read (its lines wait for the next import)."""
        self.unreadable_files += 1
        self.unreadable_paths.append(f"{path} ({why})")

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON output."""
        return msgspec.structs.asdict(self)

    def add(self, other: ImportSummary) -> None:
        """Fold another account's summary into this one (for a CLI total)."""
        for name in (
            "files",
            "files_read",
            "files_forgotten",
            "bytes_read",
            "lines_read",
            "entries",
            "imported",
            "duplicates",
            "malformed",
            "skipped",
            "partial_lines",
            "unpriced_entries",
            "snapshots",
            "unreadable_files",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unpriced_models = sorted(set(self.unpriced_models) | set(other.unpriced_models))
        self.reject(other.rejected)
        self.unreadable_paths = self.unreadable_paths + other.unreadable_paths


class Plan(msgspec.Struct):
    path: Path
    stat: os.stat_result
    start: int
    state: dict[str, Any]


def account_roots(account: Account) -> list[Path]:
    """The log folders an account reads (``config["paths"]``)."""
    paths = account.config.get("paths", [])
    if not isinstance(paths, list) or not paths:
        raise UserInputError(
            f"Account {account.id} has no log folder. "
            f"Set one with `tokenwallet import {account.kind.value} --path DIR`."
        )
    return [Path(str(p)) for p in paths]


def head_hash(path: Path, length: int) -> str:
    """:func:`head_digest` of the first ``length`` bytes of ``path``."""
    with path.open("rb") as fh:
        return head_digest(fh.read(length))


def plan_files(
    account: Account, files: list[Path], known: dict[str, log_files.LogFileState], summary: ImportSummary
) -> list[Plan]:
    """What to read of each file: nothing when unchanged, from the saved offset when it only grew,
    else all of it.  A file that cannot be examined is counted as unreadable in ``summary``."""
    plans: list[Plan] = []
    for path in files:
        try:
            st = path.stat()
            prior = known.get(str(path))
            if (
                prior is not None
                and prior.device == st.st_dev
                and prior.inode == st.st_ino
                and st.st_size >= prior.offset
            ):
                if st.st_size == prior.size and st.st_mtime_ns == prior.mtime_ns:
                    continue  # unchanged since the last import
                length = int(prior.head_hash.split(":", 1)[0]) if ":" in prior.head_hash else 0
                whole_doc = account.kind is AccountKind.GEMINI and path.suffix == ".json"
                if not whole_doc and head_hash(path, length) == prior.head_hash:
                    plans.append(Plan(path, st, prior.offset, dict(prior.state)))
                    continue
        except OSError as exc:
            if exc.errno != errno.ENOENT:  # a file deleted since it was listed is simply gone
                summary.unreadable(path, os_reason(exc))
            continue
        plans.append(Plan(path, st, 0, {}))  # new, rotated, truncated or rewritten: read it all
    return plans


class Writer:
    """Buffers ledger rows and upserts them in batches, each in its own transaction (a savepoint
    when the caller already holds one, as a first import does)."""

    def __init__(self, db: Database, account: Account, recorded_at: int) -> None:
        self.db = db
        self.account = account
        self.recorded_at = recorded_at
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.provider = PROVIDER[account.kind]

    def add(
        self,
        key: str,
        epoch: int,
        model: str,
        inp: int,
        cached: int,
        write: int,
        out: int,
        reasoning: int,
        cost: int | None,
        project: str,
        extra: str,
        confidence: str = "estimated",
    ) -> None:
        """Queue one usage row (columns in ``ledger.usage.COLUMNS`` order); ``subscription`` for plan usage."""
        self.rows.append(
            usage.log_row(
                self.account.id,
                key,
                epoch,
                epoch,
                self.provider,
                model,
                (inp, cached, write, out, reasoning),
                1,
                cost,
                project,
                extra,
                self.recorded_at,
                confidence,
            )
        )
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered."""
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        with self.db.atomic():
            self.written += usage.upsert_rows(self.db, rows)

    def close(self) -> None:
        """Write everything still buffered."""
        self.flush()


def epoch(at: datetime) -> int:
    return int((at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp())


def file_state(account: Account, plan: Plan, offset: int, head: str) -> log_files.LogFileState:
    """The state to remember for ``plan``'s file read up to ``offset``; ``head``: the digest of its first bytes."""
    return log_files.LogFileState(
        path=str(plan.path),
        account_id=account.id,
        device=plan.stat.st_dev,
        inode=plan.stat.st_ino,
        size=plan.stat.st_size,
        offset=offset,
        mtime_ns=plan.stat.st_mtime_ns,
        head_hash=head,
        state=plan.state,
    )
