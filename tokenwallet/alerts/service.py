"""The alert service: read the ledger, evaluate, persist state and events, then deliver.

:func:`run_alerts` is what the sync service calls after each poll and the tray app calls on its
timer.  State and events are written in one transaction before anything is delivered, so a crash
or restart never fires the same crossing twice.  Snoozed rules record their events without
notifying; during quiet hours events are held and delivered as one summary when the hours end;
several alerts in one run (catching up after sleep) also become one summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tokenwallet.alerts.delivery import Notice
from tokenwallet.alerts.evaluate import ALARM, OK, Facts, Transition, evaluate
from tokenwallet.alerts.rules import OffPolicyParams, Rule, SpikeParams, from_stored, to_stored, usable
from tokenwallet.budget.engine import current_period
from tokenwallet.budget.inputs import parse_duration
from tokenwallet.budget.periods import zone
from tokenwallet.domain.clock import ensure_utc
from tokenwallet.domain.errors import StoredValueError, UserInputError
from tokenwallet.ledger import alerts as store
from tokenwallet.ledger import allowances, audit, policies, snapshots, sync_state
from tokenwallet.ledger.alerts import AlertEvent
from tokenwallet.ledger.checked_status import checked_daily_spend, checked_status, stored_value_problem
from tokenwallet.settings import Settings

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.policy.off_policy import OffPolicySpend

MAX_SUMMARY_LINES = 6
log = logging.getLogger(__name__)


def gather_facts(db: Database, now: datetime, rules: Sequence[Rule], tz: ZoneInfo | None = None) -> Facts:
    """Read what ``rules`` need from the ledger at ``now``; ``tz`` (default UTC) places the month.

    An allowance whose stored values are out of bounds is left out (its rules see no facts and
    stay quiet) with a warning in the log, so one bad value never stops the other alerts.
    """
    wanted = {r.allowance_id for r in rules if r.allowance_id}
    statuses, daily, zones = {}, {}, {}
    for allowance in allowances.list_allowances(db):
        if allowance.id not in wanted:
            continue
        try:
            status = checked_status(db, allowance, now)
            spikes = [r.params for r in rules if r.allowance_id == allowance.id and isinstance(r.params, SpikeParams)]
            if spikes:
                days = max(p.trailing_days for p in spikes) + 2
                # one second past now: a bucket stamped exactly now counts, as it does in the status
                start, end = now - timedelta(days=days), now + timedelta(seconds=1)
                daily[allowance.id] = checked_daily_spend(db, allowance, start, end)
        except StoredValueError as exc:
            log.warning("alerts skip an allowance: %s", exc)
            continue
        statuses[allowance.id] = status
        zones[allowance.id] = zone(allowance.timezone)
    off_policy: list[OffPolicySpend] = []
    month = ""
    if any(isinstance(r.params, OffPolicyParams) for r in rules):
        from tokenwallet.policy.off_policy import month_of  # the policy model loads with an off-policy rule

        start, _end, month = month_of(now, tz or ZoneInfo("UTC"))
        # one second past now: a bucket stamped exactly now counts, as it does in the status
        off_policy = policies.off_policy_spend(db, start, now + timedelta(seconds=1))
    return Facts(
        now=now,
        statuses=statuses,
        daily=daily,
        zones=zones,
        sync_states=sync_state.all_states(db),
        snapshots=snapshots.latest(db),
        off_policy=off_policy,
        month=month,
    )


def _zone(settings: Settings) -> ZoneInfo:
    try:
        return settings.zone()
    except (ValueError, OSError, KeyError):  # an unknown zone name: months in UTC rather than no alerts
        return ZoneInfo("UTC")


def _parse(text: str) -> time | None:
    if not text:
        return None
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(now: datetime, settings: Settings) -> bool:
    """Whether ``now`` falls in the user's quiet hours (which may wrap past midnight)."""
    start, end = _parse(settings.quiet_hours_start), _parse(settings.quiet_hours_end)
    if start is None or end is None or start == end:
        return False
    local = now.astimezone(settings.zone()).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def summarize(events: Sequence[AlertEvent]) -> Notice:
    """One notice for ``events``: the alert itself when there is one, else a summary."""
    ids = tuple(e.id for e in events)
    if len(events) == 1:
        e = events[0]
        return Notice(e.title, e.message, e.severity, 1, ids, (e.title,))
    severity = "critical" if any(e.severity == "critical" for e in events) else "warning"
    lines = tuple(e.title for e in events)
    shown = list(lines[:MAX_SUMMARY_LINES])
    if len(lines) > MAX_SUMMARY_LINES:
        shown.append(f"... and {len(lines) - MAX_SUMMARY_LINES} more")
    return Notice(f"tokenwallet: {len(events)} alerts", "\n".join(shown), severity, len(events), ids, lines)


def _record(db: Database, t: Transition, now: datetime, held: str | None) -> AlertEvent:
    event = store.add_event(
        db,
        rule_id=t.rule.id,
        allowance_id=t.rule.allowance_id,
        period_key=t.period_key,
        fired_at=now,
        kind=t.rule.kind.value if t.to == ALARM else "recovered",
        severity=t.severity,
        title=t.title,
        message=t.message,
        extra={"held": held} if held else {},
    )
    audit.append(
        db,
        at=now,
        actor="alerts",
        action="alert.fired" if t.to == ALARM else "alert.cleared",
        entity="alert_rule",
        entity_id=t.rule.id,
        details={"period_key": t.period_key, "title": t.title, "held": held or ""},
    )
    return event


def run_alerts(
    db: Database, now: datetime, settings: Settings, deliver: Callable[[Notice], None] | None
) -> list[AlertEvent]:
    """Evaluate every enabled rule at ``now``; return the events recorded in this run.

    ``deliver`` (None: record only) receives at most one notice per run.
    """
    now = ensure_utc(now).replace(microsecond=0)
    rules = []
    for rule in (from_stored(r) for r in store.list_rules(db, enabled_only=True)):
        if usable(rule):
            rules.append(rule)
        else:  # stored by an older version with a value out of bounds: skip it, keep the others
            log.warning(
                "alert rule %s is skipped: %s is out of range; remove it and add it again", rule.id, rule.describe()
            )
    # The zone places the month of off-policy rules only; the system's zone lookup is not free.
    tz = _zone(settings) if any(isinstance(r.params, OffPolicyParams) for r in rules) else None
    facts = gather_facts(db, now, rules, tz) if rules else None
    transitions = evaluate(rules, facts, store.states(db)) if facts is not None else []
    snoozed = store.snoozes(db)
    quiet = in_quiet_hours(now, settings)
    recorded: list[AlertEvent] = []
    with db.atomic():
        # Re-read inside the transaction: another process (the tray and a CLI check) may have
        # recorded the same crossing since the facts were read.
        current = store.states(db) if transitions else {}
        for t in transitions:
            if current.get((t.rule.id, t.period_key), OK) == t.to:
                continue
            store.put_state(db, t.rule.id, t.period_key, t.to, now)
            if not t.notify:
                continue
            held = None
            if snoozed.get(t.rule.id, now) > now:
                held = "snoozed"
            elif not settings.notifications:
                held = "muted"
            elif quiet:
                held = "quiet"
            recorded.append(_record(db, t, now, held))
    if deliver is None or quiet or not settings.notifications:
        return recorded
    fresh = {e.id for e in recorded if not e.extra.get("held")}
    pending = [e for e in store.held_events(db) if e.id not in fresh] + [e for e in recorded if e.id in fresh]
    if pending:
        try:
            deliver(summarize(pending))
        except Exception as exc:  # the events are recorded; a failed channel must not break polling
            log.warning("alert delivery failed: %s", exc)
            return recorded
        with db.atomic():
            store.mark_delivered(db, [e.id for e in pending], now)
    return recorded


def add_rule(
    db: Database, rule: Rule, now: datetime, *, actor: str = "user", details: dict[str, Any] | None = None
) -> Rule:
    """Store ``rule`` (checking its allowance exists) with an audit entry; ``details`` are added to it."""
    if rule.allowance_id is not None:
        rule = Rule(rule.id, rule.params, allowances.find(db, rule.allowance_id).id, rule.enabled, rule.notify_recovery)
    with db.atomic():
        store.add_rule(db, to_stored(rule, now))
        audit.append(
            db,
            at=now,
            actor=actor,
            action="alert_rule.add",
            entity="alert_rule",
            entity_id=rule.id,
            details={"rule": rule.describe(), "allowance_id": rule.allowance_id, **(details or {})},
        )
    return rule


def remove_rule(db: Database, rule_id: str, now: datetime) -> None:
    """Delete a rule with an audit entry; its past events stay in the history."""
    with db.atomic():
        store.remove_rule(db, rule_id)
        audit.append(db, at=now, action="alert_rule.remove", entity="alert_rule", entity_id=rule_id)


def snooze(db: Database, rule_id: str, now: datetime, duration: str) -> datetime | None:
    """Snooze a rule for ``1h``, ``1d``, ``Nh``/``Nd``, until the next ``period``, or ``off``."""
    rule = from_stored(store.get_rule(db, rule_id))
    text = duration.strip().lower()
    until: datetime | None
    if text == "off":
        until = None
    elif text == "period":
        if rule.allowance_id is None:
            raise UserInputError(f"rule {rule_id} has no allowance, so it has no period; use e.g. 1d")
        allowance = allowances.get(db, rule.allowance_id)
        problem = stored_value_problem(allowance, ())
        if problem is not None:
            raise StoredValueError(problem)
        until = current_period(allowance, now)[1]
    elif text[:-1].isascii() and text[:-1].isdigit() and text[-1:] in ("h", "d") and int(text[:-1]) > 0:
        until = now + parse_duration(text)  # at most ten years
    else:
        raise UserInputError(f"The snooze {duration!r} is not understood; use 1h, 1d, 12h, 'period' or 'off'.")
    with db.atomic():
        store.set_snooze(db, rule_id, until, now)
        audit.append(
            db,
            at=now,
            action="alert_rule.snooze",
            entity="alert_rule",
            entity_id=rule_id,
            details={"until": until.isoformat() if until else None},
        )
    return until
