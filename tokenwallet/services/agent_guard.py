"""The guard's use cases that touch the ledger: record a block, let a session through.

The guard hook decides from the meter snapshot alone; only when it is about to refuse a prompt or
a tool call (rare) does it take this slower path: the figures are computed afresh from the ledger
(a top-up or a reset since the snapshot lifts the block at once), and the block goes to the audit
log.  Overrides are kept in ``guard-overrides.json`` next to the snapshot, which the hook reads
without the ledger, and every override is audited as well.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tokenwallet.domain.errors import UserInputError
from tokenwallet.services.agent_files import OVERRIDES_FILE, read_json
from tokenwallet.services.meter_snapshot import write_json_atomically

if TYPE_CHECKING:
    from tokenwallet.app import AppContext

MAX_OVERRIDE = timedelta(days=7)
DEFAULT_OVERRIDE = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class SessionOverride:
    """A session the guard lets through until ``until``."""

    session_id: str
    at: datetime
    until: datetime
    via: str
    reason: str = ""


def record_block(
    ctx: AppContext,
    *,
    row: dict[str, Any],
    reserve: int,
    event: str,
    session_id: str,
    tool: str = "",
    agent: str = "",
    level: str = "",
) -> None:
    """Write one ``guard.block`` entry: which allowance, what was left, what was refused."""
    from tokenwallet.ledger import audit

    db = ctx.ledger()
    details = {
        "allowance": row.get("name"),
        "remaining": row.get("remaining"),
        "unit": row.get("unit"),
        "reserve": reserve,
        "level": level,
        "event": event,
        "tool": tool,
        "session": session_id,
        "agent": agent,
    }
    with db.atomic():
        audit.append(
            db,
            at=ctx.clock(),
            actor="guard",
            action="guard.block",
            entity="allowance",
            entity_id=str(row.get("id") or ""),
            details=details,
        )


def overrides_path(ctx: AppContext) -> Any:
    """Where the overrides live (next to the meter snapshot)."""
    return ctx.paths.cache_dir / OVERRIDES_FILE


def _load(ctx: AppContext) -> dict[str, dict[str, Any]]:
    data = read_json(str(overrides_path(ctx))) or {}
    sessions = data.get("sessions")
    if not isinstance(sessions, dict):
        return {}
    now = ctx.clock().timestamp()
    # Expired entries are dropped whenever the file is written, so it never grows without bound.
    return {
        str(key): value
        for key, value in sessions.items()
        if isinstance(value, dict) and isinstance(value.get("until"), int | float) and value["until"] > now
    }


def override_session(
    ctx: AppContext, session_id: str, *, duration: timedelta = DEFAULT_OVERRIDE, via: str = "command", reason: str = ""
) -> SessionOverride:
    """Let the agent session ``session_id`` through the guard for ``duration``; audited."""
    from tokenwallet.ledger import audit

    session_id = session_id.strip()
    if not session_id or len(session_id) > 200 or any(c.isspace() for c in session_id):
        raise UserInputError(
            "Give the session id the guard's message names (one word, as the agent reports it).",
            field="session",
        )
    if not timedelta(minutes=1) <= duration <= MAX_OVERRIDE:
        raise UserInputError("An override lasts between one minute and seven days.", field="duration")
    now = ctx.clock()
    until = now + duration
    sessions = _load(ctx)
    sessions[session_id] = {"at": int(now.timestamp()), "until": int(until.timestamp()), "via": via, "reason": reason}
    db = ctx.ledger()
    with db.atomic():
        audit.append(
            db,
            at=now,
            actor="user",
            action="guard.override",
            entity="agent-session",
            entity_id=session_id,
            details={"until": until.isoformat(), "via": via, "reason": reason},
        )
    write_json_atomically(overrides_path(ctx), {"sessions": sessions})
    return SessionOverride(session_id, now, until, via, reason)


def clear_override(ctx: AppContext, session_id: str) -> bool:
    """End the override of ``session_id``; False when there was none.  Audited."""
    from tokenwallet.ledger import audit

    sessions = _load(ctx)
    if sessions.pop(session_id, None) is None:
        return False
    db = ctx.ledger()
    with db.atomic():
        audit.append(
            db,
            at=ctx.clock(),
            actor="user",
            action="guard.override_end",
            entity="agent-session",
            entity_id=session_id,
        )
    write_json_atomically(overrides_path(ctx), {"sessions": sessions})
    return True


def list_overrides(ctx: AppContext) -> list[SessionOverride]:
    """The overrides in force, soonest to end first."""
    found = [
        SessionOverride(
            key,
            datetime.fromtimestamp(value.get("at") or time.time(), UTC),
            datetime.fromtimestamp(value["until"], UTC),
            str(value.get("via") or ""),
            str(value.get("reason") or ""),
        )
        for key, value in _load(ctx).items()
    ]
    return sorted(found, key=lambda o: o.until)
