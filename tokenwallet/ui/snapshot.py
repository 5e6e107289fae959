"""One immutable picture of the ledger for the tray and the dashboard, read off the GUI thread.

:func:`load_snapshot` runs on a worker thread (it opens that thread's own ledger connection) and
returns frozen values only, which travel to the GUI thread through a signal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tokenwallet.domain.accounts import Account, AccountKind, SyncState
from tokenwallet.domain.allowance import Allowance, AllowanceStatus, DailySpend, Unit
from tokenwallet.domain.usage import Confidence

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


@dataclass(frozen=True, slots=True)
class ModelRow:
    """Spend of one provider and model in the primary allowance's period."""

    provider: str
    model: str
    requests: int
    tokens: int
    cost_micros: int | None  # None: no row had a price
    estimated: bool
    unpriced: bool = False  # local-log or manual tokens without a price (API token rows get money elsewhere)


@dataclass(frozen=True, slots=True)
class AccountRow:
    """An account with how its syncing stands, in plain words."""

    account: Account
    last_success: datetime | None
    next_due: datetime | None
    error: str


@dataclass(frozen=True, slots=True)
class AllowanceView:
    """An allowance, its status now and its daily spend this period."""

    allowance: Allowance
    status: AllowanceStatus
    daily: tuple[DailySpend, ...]


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """Everything the windows show, read at ``taken_at``."""

    taken_at: datetime
    allowances: tuple[AllowanceView, ...]
    models: tuple[ModelRow, ...]
    accounts: tuple[AccountRow, ...]
    last_update: datetime | None
    failing: bool

    @property
    def statuses(self) -> list[AllowanceStatus]:
        """The allowance statuses, in name order."""
        return [view.status for view in self.allowances]


def _model_rows(ctx: AppContext, since: datetime, until: datetime) -> tuple[ModelRow, ...]:
    from tokenwallet.ledger import usage

    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for record in usage.list_records(ctx.ledger(), usage.UsageFilter(since=since, until=until)):
        if record.source.value == "balance":
            continue
        cell = totals[(record.provider, record.model or "(all models)")]
        cell[0] += record.requests
        cell[1] += record.input_tokens + record.cached_input_tokens + record.cache_write_tokens + record.output_tokens
        if record.cost_micros is not None:
            cell[2] += record.cost_micros
            cell[3] = 1
        elif record.source.value in ("local_log", "manual"):
            cell[5] = 1
        if record.confidence is Confidence.ESTIMATED:
            cell[4] = 1
    rows = [
        ModelRow(provider, model, c[0], c[1], c[2] if c[3] else None, bool(c[4]), bool(c[5]))
        for (provider, model), c in totals.items()
    ]
    return tuple(sorted(rows, key=lambda r: (-(r.cost_micros or 0), -r.tokens, r.provider, r.model)))


def _account_rows(ctx: AppContext) -> tuple[AccountRow, ...]:
    from tokenwallet.ledger import accounts, sync_state

    db = ctx.ledger()
    states: dict[str, list[SyncState]] = defaultdict(list)
    for state in sync_state.all_states(db):
        states[state.account_id].append(state)
    rows = []
    for account in accounts.list_accounts(db, include_disabled=False):
        if account.kind is AccountKind.MANUAL:
            continue
        mine = states.get(account.id, [])
        successes = [s.last_success for s in mine if s.last_success]
        dues = [s.next_due for s in mine if s.next_due]
        errors = [s.last_error for s in mine if s.last_error]
        rows.append(
            AccountRow(
                account=account,
                last_success=max(successes) if successes else None,
                next_due=min(dues) if dues else None,
                error=errors[0] if errors else "",
            )
        )
    return tuple(rows)


def load_snapshot(ctx: AppContext, now: datetime) -> LedgerSnapshot:
    """Read statuses, daily spend, the model table and account states at ``now``."""
    from tokenwallet.ledger import allowances
    from tokenwallet.ledger.status import allowance_status, daily_spend

    db = ctx.ledger()
    views = []
    for allowance in allowances.list_allowances(db):
        status = allowance_status(db, allowance, now)
        daily = daily_spend(db, allowance, status.period_start, now + timedelta(seconds=1))
        views.append(AllowanceView(allowance, status, tuple(daily)))
    start = min(v.status.period_start for v in views) if views else now - timedelta(days=30)
    account_rows = _account_rows(ctx)
    successes = [r.last_success for r in account_rows if r.last_success is not None]
    return LedgerSnapshot(
        taken_at=now,
        allowances=tuple(views),
        models=_model_rows(ctx, start, now + timedelta(seconds=1)),
        accounts=account_rows,
        last_update=max(successes) if successes else None,
        failing=any(r.error for r in account_rows),
    )


def is_usd(view: AllowanceView) -> bool:
    """True when the allowance counts money (not tokens)."""
    return view.allowance.unit is Unit.USD
