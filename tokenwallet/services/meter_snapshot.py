"""The meter snapshot: what the status line and the guard read instead of the ledger.

Agents call ``tokenwallet statusline`` on every refresh and ``tokenwallet guard`` on every prompt
and tool call; opening the ledger and computing the budget each time would cost a tenth of a
second.  So every ledger change rewrites a small JSON file, ``meter.json`` in the cache folder
(see :mod:`tokenwallet.services.agent_files` for where and how it is read):

* the front-ends tell the :class:`~tokenwallet.app.AppContext` when a command or a job has
  finished (:meth:`~tokenwallet.app.AppContext.ledger_changed`); :func:`keep_meter_current`
  registers :func:`refresh_meter` to run then, and after every poll, when the ledger changed;
* :func:`refresh_meter` is also what ``tokenwallet agents meter`` and the guard's slow path run.

The file is written atomically (a private temporary file renamed over it), mode 0600.  Its
figures are the allowance status at the time of writing; ``valid_until`` says when they change by
themselves (a reset or an expiry), after which the status line starts a refresh in the background.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.app import AppContext
    from tokenwallet.domain.allowance import Allowance, AllowanceStatus
    from tokenwallet.settings import Settings

log = logging.getLogger(__name__)

WARNING_PERCENT = 80.0
"""Share used from which an allowance is in the warning state (the tray icon's thresholds)."""
CRITICAL_PERCENT = 95.0
STALE_AFTER_MISSED_POLLS = 3


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def state_for(status: AllowanceStatus) -> str:
    """``ok``, ``warning`` (80 % used or on course to run out before the reset), ``critical`` (95 %)
    or ``exhausted`` (nothing left), as the tray icon colours it."""
    if status.remaining <= 0:
        return "exhausted"
    if status.percent_used >= CRITICAL_PERCENT:
        return "critical"
    if status.percent_used >= WARNING_PERCENT or (
        status.projected_runout is not None and status.projected_runout < status.period_end
    ):
        return "warning"
    return "ok"


def _day(moment: datetime, tz_name: str) -> tuple[str, str]:
    """('1 Dec', '00:00') in the allowance's zone."""
    from tokenwallet.budget.periods import zone

    local = moment.astimezone(zone(tz_name))
    return f"{local.day} {local.strftime('%b')}", local.strftime("%H:%M")


def allowance_row(allowance: Allowance, status: AllowanceStatus) -> dict[str, Any]:
    """One allowance as the status line and the guard need it."""
    from tokenwallet.budget.inputs import format_amount
    from tokenwallet.domain.allowance import Unit

    unit = allowance.unit
    reset_day, reset_time = _day(status.period_end, allowance.timezone)
    # Value that lapses before the reset (a top-up with its own expiry); the periodic grant lapsing
    # at the reset itself is what "resets" already says.
    upcoming = sorted(
        (e for e in status.expiring if e.remaining_now > 0 and status.now < e.at < status.period_end),
        key=lambda e: e.at,
    )
    expiring: dict[str, Any] | None = None
    if upcoming:
        first = upcoming[0]
        day, time_of_day = _day(first.at, allowance.timezone)
        expiring = {
            "at": _epoch(first.at),
            "amount": first.remaining_now,
            "projected_unspent": first.projected_unspent,
            "day": day,
            "time": time_of_day,
            "formatted": format_amount(first.remaining_now, unit),
        }
    return {
        "id": allowance.id,
        "name": allowance.name,
        "unit": unit.value,
        "scale": 1_000_000 if unit is Unit.USD else 1,
        "remaining": status.remaining,
        "granted": status.granted,
        "spent": status.spent,
        "overspent": status.overspent,
        "percent_used": round(status.percent_used, 1),
        "period_end": _epoch(status.period_end),
        "period_end_iso": _iso(status.period_end),
        "reset_day": reset_day,
        "reset_time": reset_time,
        "expiring": expiring,
        "projected_runout": _epoch(status.projected_runout),
        "state": state_for(status),
        "formatted": {
            "remaining": format_amount(status.remaining, unit),
            "granted": format_amount(status.granted, unit),
            "spent": format_amount(status.spent, unit),
            "overspent": format_amount(status.overspent, unit),
        },
    }


def build_meter(db: Database, now: datetime, settings: Settings) -> dict[str, Any]:
    """The snapshot of every allowance at ``now``, as written to ``meter.json``."""
    from tokenwallet.ledger import accounts, sync_state
    from tokenwallet.services.status import every_allowance

    done, left_out = every_allowance(db, now)  # an allowance with stored values out of bounds is left out, said why
    statuses = [(f.allowance, f.status) for f in done]
    rows = [allowance_row(allowance, status) for allowance, status in statuses]
    primary = _primary(statuses, settings.primary_allowance)
    moments = [s.period_end for _, s in statuses]
    moments += [e.at for _, s in statuses for e in s.expiring if e.at > now]
    valid_until = min(moments) if moments else None
    enabled = {a.id for a in accounts.list_accounts(db, include_disabled=False) if a.kind.value != "manual"}
    successes = [s.last_success for s in sync_state.all_states(db) if s.account_id in enabled and s.last_success]
    interval = timedelta(minutes=settings.poll_interval_minutes or 5)
    stale_after = max(successes) + interval * STALE_AFTER_MISSED_POLLS if successes else None
    return {
        "schema_version": 1,
        "generated_at": _epoch(now),
        "generated_at_iso": _iso(now),
        "valid_until": _epoch(valid_until),
        "stale_after": _epoch(stale_after),
        "last_sync": _epoch(max(successes)) if successes else None,
        "primary": primary,
        "allowances": rows,
        "left_out": left_out,
    }


def _primary(statuses: list[tuple[Allowance, AllowanceStatus]], configured: str) -> str | None:
    """The allowance named in the settings, else the one with the highest share used (as the tray)."""
    if not statuses:
        return None
    for allowance, _ in statuses:
        if configured and configured in (allowance.id, allowance.name):
            return allowance.name
    return max(statuses, key=lambda pair: pair[1].percent_used)[0].name


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` as compact JSON to ``path``, atomically and private (mode 0600)."""
    import json

    from tokenwallet.files import atomic_write, make_private_dirs

    make_private_dirs(path.parent)
    atomic_write(path, json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())


def meter_path(ctx: AppContext) -> Path:
    """Where ``ctx`` keeps its meter snapshot."""
    from tokenwallet.services.agent_files import METER_FILE

    return ctx.paths.cache_dir / METER_FILE


def refresh_meter(ctx: AppContext) -> dict[str, Any]:
    """Compute the snapshot from this thread's ledger connection and write it; returns it."""
    meter = build_meter(ctx.ledger(), ctx.clock(), ctx.settings)
    write_json_atomically(meter_path(ctx), meter)
    return meter


def _refresh_quietly(ctx: AppContext) -> None:
    try:
        refresh_meter(ctx)
    except Exception as exc:  # the meter is a convenience: a failure must never fail the command
        log.warning("the meter snapshot for the status line could not be written: %s", exc)


def keep_meter_current(ctx: AppContext) -> None:
    """Rewrite the snapshot whenever ``ctx`` reports a ledger change, and after every poll."""
    if _refresh_quietly not in ctx.ledger_listeners:
        ctx.ledger_listeners.append(_refresh_quietly)

    def after_poll(db: Database, now: datetime) -> None:
        ctx.ledger_changed()

    if not any(getattr(hook, "__name__", "") == "after_poll_meter" for hook in ctx.after_poll):
        after_poll.__name__ = "after_poll_meter"
        ctx.after_poll.append(after_poll)
