"""How poll outcomes look in the JSON contract (``poll --once --json``, ``account test --json``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokenwallet.sync.service import PollOutcome


def outcome_json(outcome: PollOutcome) -> dict[str, Any]:
    """One poll outcome as the JSON contract shows it (never a key)."""
    return {
        "account_id": outcome.account_id,
        "ok": outcome.ok,
        "records": outcome.records,
        "snapshots": outcome.snapshots,
        "pages": outcome.pages,
        "error": outcome.error,
        "error_kind": outcome.error_kind,
        "next_due": outcome.next_due,
    }
