"""The body of ``tokenwallet status``: every allowance, account and latest snapshot, for people or as JSON.

Shared by the click command (:mod:`tokenwallet.cli.status`) and the quick front end
(:mod:`tokenwallet.cli.quick`); no click here.
"""

from __future__ import annotations

from typing import Any

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import format_amount
from tokenwallet.budget.periods import period_key
from tokenwallet.cli.meter_json import formatted_extra, meter_json, suggestion_json
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, echo, emit_json, table, warn
from tokenwallet.cli.policy_json import link_json, off_policy_json
from tokenwallet.cli.time_option import use_time
from tokenwallet.domain.accounts import Account, SyncState
from tokenwallet.domain.allowance import Allowance, AllowanceStatus, Unit
from tokenwallet.domain.money import format_money
from tokenwallet.domain.usage import BalanceSnapshot

_AMOUNTS = (
    "granted",
    "spent",
    "remaining",
    "expired",
    "overspent",
    "period_spent",
    "estimated_spent",
    "projected_period_spend",
)


def status_json(status: AllowanceStatus, allowance: Allowance | None = None) -> dict[str, Any]:
    """One allowance's status in the stable JSON shape (see the README's JSON contract)."""
    unit = status.unit
    payload: dict[str, Any] = {
        "id": status.allowance_id,
        "name": status.name,
        "unit": unit.value,
        "now": status.now,
        "period_key": period_key(allowance, status.period_start) if allowance else None,
        "period_start": status.period_start,
        "period_end": status.period_end,
    }
    payload.update({name: getattr(status, name) for name in _AMOUNTS})
    payload.update(
        {
            "percent_used": status.percent_used,
            "days_left": status.days_left,
            "elapsed_fraction": status.elapsed_fraction,
            "burn_rate_per_day": status.burn_rate_per_day,
            "projected_runout": status.projected_runout,
            "unpriced_records": status.unpriced_records,
            "backed_by": status.backed_by,
            "formatted": {name: format_amount(getattr(status, name), unit) for name in _AMOUNTS}
            | {"burn_rate_per_day": format_amount(round(status.burn_rate_per_day), unit)}
            | formatted_extra(status),
            "expiring": [
                {
                    "at": e.at,
                    "remaining_now": e.remaining_now,
                    "projected_unspent": e.projected_unspent,
                    "daily_pace_needed": round(e.daily_pace_needed, 3),
                    "formatted": {
                        "remaining_now": format_amount(e.remaining_now, unit),
                        "projected_unspent": format_amount(e.projected_unspent, unit),
                        "daily_pace_needed": format_amount(round(e.daily_pace_needed), unit),
                    },
                }
                for e in status.expiring
            ],
            "grants": [
                {
                    "id": b.grant.id,
                    "kind": b.grant.kind.value,
                    "amount": b.grant.amount,
                    "granted_at": b.grant.granted_at,
                    "expires_at": b.grant.expires_at,
                    "consumed": b.consumed,
                    "remaining": b.remaining,
                    "expired": b.expired,
                    "note": b.grant.note,
                }
                for b in status.grants
            ],
        }
    )
    payload.update(meter_json(status, allowance))
    return payload


def account_json(account: Account, states: list[SyncState]) -> dict[str, Any]:
    """An account with its sync state (never its key; only the stored hint)."""
    return {
        "id": account.id,
        "kind": account.kind.value,
        "label": account.label,
        "enabled": account.enabled,
        "key_hint": account.key_hint,
        "sync": [
            {
                "stream": s.stream,
                "last_attempt": s.last_attempt,
                "last_success": s.last_success,
                "last_error": s.last_error,
                "error_kind": s.error_kind,
                "failures": s.failures,
                "next_due": s.next_due,
            }
            for s in states
            if s.account_id == account.id
        ],
    }


def snapshot_json(snapshot: BalanceSnapshot) -> dict[str, Any]:
    """A balance, limit or plan-window snapshot."""
    money = ("spent_micros", "limit_micros", "remaining_micros", "soft_limit_micros")
    return {
        "account_id": snapshot.account_id,
        "kind": snapshot.kind.value,
        "name": snapshot.name,
        "observed_at": snapshot.observed_at,
        "currency": snapshot.currency,
        **{name: getattr(snapshot, name) for name in money},
        "used_percent": snapshot.used_percent,
        "window_minutes": snapshot.window_minutes,
        "period": snapshot.period,
        "resets_at": snapshot.resets_at,
        "expires_at": snapshot.expires_at,
    }


def collect(app: AppContext) -> dict[str, Any]:
    """The whole ``status --json`` document; allowances that cannot be computed are warned about."""
    from tokenwallet.services.status import status_report

    report = status_report(app)
    for reason in report.left_out:
        warn(f"left out of the status: {reason}")
    states = list(report.sync_states)
    allowances = []
    for f in report.allowances:
        item = status_json(f.status, f.allowance)
        item["policy"] = link_json(report.policy_links.get(f.allowance.id))
        allowances.append(item)
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "generated_at": report.generated_at,
        "allowances": allowances,
        "accounts": [account_json(a, states) for a in report.accounts],
        "snapshots": [snapshot_json(s) for s in report.snapshots],
        "off_policy": [off_policy_json(s) for s in report.off_policy],
        "suggestions": [suggestion_json(s) for s in report.suggestions],
    }


def _policy_lines(document: dict[str, Any]) -> None:
    """Which allowances a policy sets, and this month's usage outside its restrictions."""
    by_policy: dict[tuple[str, int], list[str]] = {}
    for a in document["allowances"]:
        if a["policy"] is not None:
            by_policy.setdefault((a["policy"]["policy_id"], a["policy"]["revision"]), []).append(a["name"])
    for (policy_id, revision), names in sorted(by_policy.items()):
        echo(f"Set by policy {policy_id} revision {revision}: {', '.join(names)}.")
    for spend in document["off_policy"]:
        if not spend["routes"]:
            continue
        worst = spend["routes"][0]
        region = f" region {worst['region']}" if worst["region"] else ""
        tokens = f" and {spend['tokens']:,} tokens" if spend["tokens"] else ""
        echo(
            f"Off-policy this month ({spend['policy_id']}): {spend['formatted']['cost']}{tokens} "
            f"in {spend['rows']} row{'s' if spend['rows'] != 1 else ''}; most in {worst['provider']} "
            f"{worst['model'] or '(no model)'}{region} ({'; '.join(worst['reasons'])}). "
            "See `tokenwallet policy show`."
        )


def run_status(app: AppContext, *, as_json: bool = False, at: str | None = None) -> None:
    """Show every allowance (spent, remaining, forecast) and every account's sync state."""
    if at is not None:
        use_time(app, at)
    document = collect(app)
    if as_json:
        emit_json(document)
        return
    if not document["allowances"]:
        echo("No allowances yet. Add one with `tokenwallet allowance add NAME --amount 200 --cadence monthly`.")
    else:
        rows = []
        for a in document["allowances"]:
            f = a["formatted"]
            runout = a["projected_runout"].strftime("%Y-%m-%d %H:%M UTC") if a["projected_runout"] else "-"
            spent = format_amount(a["spent"] + a["overspent"], Unit(a["unit"]))
            over = f["overspent"] if a["overspent"] > 0 else "-"
            rows.append(
                [a["name"], spent, f["remaining"], over, f"{a['percent_spent']:.1f}%", f"{a['days_left']:.1f}", runout]
            )
        table(["allowance", "spent", "remaining", "over", "used", "days left", "runs out"], rows)
        for a in document["allowances"]:
            if a["overspent"] > 0:
                f = a["formatted"]
                echo(
                    f"{a['name']}: {f['overspent']} over the allowance "
                    f"({format_amount(a['spent'] + a['overspent'], Unit(a['unit']))} spent of {f['granted']}, "
                    f"{a['percent_spent']:.1f}%)."
                )
            if a["unpriced_records"]:
                count = a["unpriced_records"]
                rows_text = "record is" if count == 1 else "records are"
                echo(f"{a['name']}: {count} unpriced usage {rows_text} not in the total.")
            if a["estimated_spent"]:
                echo(f"{a['name']}: {a['formatted']['estimated_spent']} of the spend is estimated.")
            for note in a["notes"]:
                echo(f"{a['name']}: {note}")
        _policy_lines(document)
    for suggestion in report_suggestions(document):
        echo(suggestion)
    if document["accounts"]:
        echo("")
        acc_rows = []
        for acc in document["accounts"]:
            last = max((s["last_success"] for s in acc["sync"] if s["last_success"]), default=None)
            errors = "; ".join(s["last_error"] for s in acc["sync"] if s["last_error"])
            acc_rows.append(
                [
                    acc["id"],
                    acc["kind"],
                    "yes" if acc["enabled"] else "no",
                    last.isoformat() if last else "never",
                    errors,
                ]
            )
        table(["account", "kind", "enabled", "last sync", "error"], acc_rows)
    for snap in document["snapshots"]:
        if snap["limit_micros"] is not None:
            echo(
                f"{snap['account_id']} {snap['kind']} {snap['name']}: "
                f"{format_money(snap['spent_micros'])} of {format_money(snap['limit_micros'])}"
            )


def report_suggestions(document: dict[str, Any]) -> list[str]:
    """The suggested links of a status document, in words."""
    return [
        f"{s['logs']} looks billed through {s['account']}: on {s['days']} day(s) its tokens per model "
        f"({s['tokens']:,}) were within what {s['account']} reported, so they may be counted twice. "
        f"If so, run `{s['command']}`."
        for s in document["suggestions"]
    ]
