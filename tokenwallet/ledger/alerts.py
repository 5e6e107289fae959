"""Alert rules, their OK/ALARM state per period and the fired events, on the ``alert_*`` tables.

The row types live here (not in ``alerts/``) because the ledger sits below the alert service in the
layering; ``tokenwallet.alerts`` turns :class:`StoredRule` params into typed rule values.
A rule-wide snooze is kept as an ``alert_state`` row with the empty period key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from tokenwallet.domain.errors import NotFoundError
from tokenwallet.ledger.db import dumps, from_epoch, to_epoch

if TYPE_CHECKING:
    from sqlite_utils import Database

SNOOZE_KEY = ""
"""The ``alert_state.period_key`` of a rule-wide snooze row."""


class StoredRule(msgspec.Struct, frozen=True):
    """One row of ``alert_rules``; ``params`` is the rule kind's parameters as plain JSON values."""

    id: str
    kind: str
    allowance_id: str | None
    params: dict[str, Any]
    enabled: bool
    created_at: datetime


class AlertEvent(msgspec.Struct, frozen=True):
    """One fired alert (or "available again" notice) as recorded in ``alert_events``."""

    id: int
    rule_id: str | None
    allowance_id: str | None
    period_key: str
    fired_at: datetime
    kind: str
    severity: str
    title: str
    message: str
    delivered_at: datetime | None = None
    extra: dict[str, Any] = msgspec.field(default_factory=dict)


def add_rule(db: Database, rule: StoredRule) -> StoredRule:
    """Insert ``rule``; the caller wraps this in a transaction with its audit entry."""
    db.execute(
        "INSERT INTO alert_rules (id, allowance_id, kind, params, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [rule.id, rule.allowance_id, rule.kind, dumps(rule.params), int(rule.enabled), to_epoch(rule.created_at)],
    )
    return rule


def _rule(row: tuple[Any, ...]) -> StoredRule:
    created = from_epoch(row[5])
    assert created is not None
    return StoredRule(
        id=row[0], allowance_id=row[1], kind=row[2], params=json.loads(row[3]), enabled=bool(row[4]), created_at=created
    )


_RULE_COLUMNS = "id, allowance_id, kind, params, enabled, created_at"


def list_rules(db: Database, *, enabled_only: bool = False) -> list[StoredRule]:
    """Every rule, oldest first."""
    where = "WHERE enabled = 1" if enabled_only else ""
    rows = db.execute(f"SELECT {_RULE_COLUMNS} FROM alert_rules {where} ORDER BY created_at, rowid").fetchall()
    return [_rule(r) for r in rows]


def get_rule(db: Database, rule_id: str) -> StoredRule:
    """The rule with ``rule_id``; :class:`NotFoundError` names the command that lists rules."""
    row = db.execute(f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE id = ?", [rule_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no alert rule {rule_id!r}; see `tokenwallet alerts list`")
    return _rule(row)


def remove_rule(db: Database, rule_id: str) -> None:
    """Delete a rule and its states (events stay in the history)."""
    get_rule(db, rule_id)
    db.execute("DELETE FROM alert_state WHERE rule_id = ?", [rule_id])
    db.execute("DELETE FROM alert_rules WHERE id = ?", [rule_id])


def states(db: Database) -> dict[tuple[str, str], str]:
    """Stored state (``ok``/``alarm``) by (rule id, period key), snooze rows left out."""
    rows = db.execute("SELECT rule_id, period_key, state FROM alert_state WHERE period_key != ?", [SNOOZE_KEY])
    return {(r[0], r[1]): r[2] for r in rows.fetchall()}


def put_state(db: Database, rule_id: str, period_key: str, state: str, at: datetime) -> None:
    """Record ``state`` for (rule, period)."""
    db.execute(
        "INSERT INTO alert_state (rule_id, period_key, state, changed_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (rule_id, period_key) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at",
        [rule_id, period_key, state, to_epoch(at)],
    )


def set_snooze(db: Database, rule_id: str, until: datetime | None, at: datetime) -> None:
    """Snooze ``rule_id`` until ``until`` (None lifts the snooze)."""
    get_rule(db, rule_id)
    db.execute(
        "INSERT INTO alert_state (rule_id, period_key, state, changed_at, snoozed_until) VALUES (?, ?, 'ok', ?, ?) "
        "ON CONFLICT (rule_id, period_key) DO UPDATE SET snoozed_until = excluded.snoozed_until, "
        "changed_at = excluded.changed_at",
        [rule_id, SNOOZE_KEY, to_epoch(at), to_epoch(until)],
    )


def snoozes(db: Database) -> dict[str, datetime]:
    """Rule id -> end of its snooze, for rules that have one."""
    rows = db.execute(
        "SELECT rule_id, snoozed_until FROM alert_state WHERE period_key = ? AND snoozed_until IS NOT NULL",
        [SNOOZE_KEY],
    ).fetchall()
    result: dict[str, datetime] = {}
    for rule_id, until in rows:
        when = from_epoch(until)
        assert when is not None
        result[rule_id] = when
    return result


def add_event(
    db: Database,
    *,
    rule_id: str | None,
    allowance_id: str | None,
    period_key: str,
    fired_at: datetime,
    kind: str,
    severity: str,
    title: str,
    message: str,
    extra: dict[str, Any] | None = None,
) -> AlertEvent:
    """Append one event (not yet delivered) and return it with its id."""
    cursor = db.execute(
        "INSERT INTO alert_events (rule_id, allowance_id, period_key, fired_at, kind, severity, title, message, extra) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [rule_id, allowance_id, period_key, to_epoch(fired_at), kind, severity, title, message, dumps(extra or {})],
    )
    return AlertEvent(
        id=int(cursor.lastrowid or 0),
        rule_id=rule_id,
        allowance_id=allowance_id,
        period_key=period_key,
        fired_at=fired_at.replace(microsecond=0),
        kind=kind,
        severity=severity,
        title=title,
        message=message,
        extra=dict(extra or {}),
    )


def mark_delivered(db: Database, event_ids: Iterable[int], at: datetime) -> None:
    """Stamp events as delivered."""
    db.conn.executemany("UPDATE alert_events SET delivered_at = ? WHERE id = ?", [(to_epoch(at), i) for i in event_ids])


_EVENT_COLUMNS = "id, rule_id, allowance_id, period_key, fired_at, kind, severity, title, message, delivered_at, extra"


def _event(row: tuple[Any, ...]) -> AlertEvent:
    fired = from_epoch(row[4])
    assert fired is not None
    return AlertEvent(
        id=row[0],
        rule_id=row[1],
        allowance_id=row[2],
        period_key=row[3],
        fired_at=fired,
        kind=row[5],
        severity=row[6],
        title=row[7],
        message=row[8],
        delivered_at=from_epoch(row[9]),
        extra=json.loads(row[10]),
    )


def events(
    db: Database, *, since: datetime | None = None, until: datetime | None = None, limit: int | None = None
) -> list[AlertEvent]:
    """Events in firing order, optionally within ``[since, until)``; ``limit`` keeps the newest."""
    sql = f"SELECT {_EVENT_COLUMNS} FROM alert_events WHERE 1=1"
    params: list[Any] = []
    if since is not None:
        sql += " AND fired_at >= ?"
        params.append(to_epoch(since))
    if until is not None:
        sql += " AND fired_at < ?"
        params.append(to_epoch(until))
    sql += " ORDER BY fired_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return list(reversed([_event(r) for r in db.execute(sql, params).fetchall()]))


def held_events(db: Database) -> list[AlertEvent]:
    """Events held back by quiet hours and not delivered yet, oldest first."""
    sql = (
        f"SELECT {_EVENT_COLUMNS} FROM alert_events WHERE delivered_at IS NULL "
        "AND json_extract(extra, '$.held') = 'quiet' ORDER BY fired_at, id"
    )
    return [_event(r) for r in db.execute(sql).fetchall()]
