"""One immutable picture of the ledger for the tray and the dashboard, read off the GUI thread.

:func:`load_snapshot` runs on a worker thread (it opens that thread's own ledger connection) and
returns frozen values only, which travel to the GUI thread through a signal.  The figures are
those of ``tokenwallet status`` (:mod:`tokenwallet.services.status`); spend per model follows
the spend rules of :mod:`tokenwallet.ledger.spend`.  An allowance whose stored values are out of
bounds is left out and named in :attr:`LedgerSnapshot.problems` instead of failing the picture.

Beside the allowances it carries the providers' own limits (:mod:`tokenwallet.services.provider_limits`)
and, for someone with usage but no allowance yet (a coding-agent user whose logs were found at
the first start), this month's spend so far (:class:`MonthToDate`), counted by the same rule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tokenwallet.domain.accounts import Account, AccountKind, SyncState
from tokenwallet.domain.allowance import Allowance, AllowanceStatus, Cadence, DailySpend, Scope, Unit
from tokenwallet.domain.errors import StoredValueError
from tokenwallet.domain.meter import LinkSuggestion
from tokenwallet.services.provider_limits import ProviderLimit

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
class MonthToDate:
    """This calendar month's spend over every account, for someone with usage but no allowance yet.

    ``status`` is that of a monthly usd allowance of nothing over every account (never stored):
    its ``period_spent``, burn rate, projection, streams and notes are the month's, counted by the
    same rule as an allowance's.  ``suggested_amount`` is a round monthly amount (whole dollars) a
    little above the month's projection: what "make this an allowance" fills in.
    """

    status: AllowanceStatus
    daily: tuple[DailySpend, ...]
    zone: ZoneInfo
    suggested_amount: int


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """Everything the windows show, read at ``taken_at``."""

    taken_at: datetime
    allowances: tuple[AllowanceView, ...]
    models: tuple[ModelRow, ...]
    accounts: tuple[AccountRow, ...]
    last_update: datetime | None
    failing: bool
    problems: tuple[str, ...] = ()
    """Allowances or tables left out because a stored value is out of bounds, in plain words."""
    suggestions: tuple[LinkSuggestion, ...] = ()
    """Agent-log sources that look billed through an API account they are not linked to (see
    :func:`tokenwallet.services.status.link_suggestions`); show each with the link to make."""
    limits: tuple[ProviderLimit, ...] = ()
    """The providers' own limits, balances and plan windows not already shown as an allowance."""
    month_to_date: MonthToDate | None = None
    """With no allowance: this month's spend so far, when there is any usage this month."""
    labels: dict[str, str] | None = None
    """Account labels by id (streams, suggestions and limits name accounts by id)."""

    def label(self, account_id: str) -> str:
        """The label of ``account_id`` (the id itself when unknown)."""
        return (self.labels or {}).get(account_id, account_id)

    @property
    def statuses(self) -> list[AllowanceStatus]:
        """The allowance statuses, in name order."""
        return [view.status for view in self.allowances]


def _model_rows(ctx: AppContext, since: datetime, until: datetime) -> tuple[ModelRow, ...]:
    from tokenwallet.ledger.spend import model_spend

    return tuple(
        ModelRow(m.provider, m.model or "(all models)", m.requests, m.tokens, m.cost_micros, m.estimated, m.unpriced)
        for m in model_spend(ctx.ledger(), since, until)
    )


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


MONTH_TO_DATE_ID = "month-to-date"


def suggested_amount(projected: int) -> int:
    """A round monthly amount in micro-USD a little above ``projected``.

    10% more than the projection, rounded up to half a power of ten below it (at least a dollar):
    $47.98 projected gives $55, $130 gives $150, $4.20 gives $5.
    """
    dollars = max(-(-projected * 11 // 10_000_000), 1)  # 110% of the projection, whole dollars rounded up
    unit = 1
    while unit * 10 <= dollars:
        unit *= 10
    half = max(unit // 2, 1)
    return -(-dollars // half) * half * 1_000_000


def month_to_date(ctx: AppContext, now: datetime) -> MonthToDate | None:
    """This month's spend so far over every account (None when there is none)."""
    from tokenwallet.budget.periods import local_midnight
    from tokenwallet.ledger.checked_status import checked_daily_spend, checked_status
    from tokenwallet.services.local_zone import local_zone_name

    name = local_zone_name(ctx)
    zone = ZoneInfo(name)
    local = now.astimezone(zone)
    start = local_midnight(local.date().replace(day=1), zone)
    month = Allowance(
        id=MONTH_TO_DATE_ID,
        name="This month",
        unit=Unit.USD,
        amount=0,
        cadence=Cadence.MONTHLY,
        starts_at=start,
        timezone=name,
        scope=Scope(),
    )
    db = ctx.ledger()
    status = checked_status(db, month, now)
    if status.period_spent <= 0 and not status.streams:
        return None
    daily = checked_daily_spend(db, month, status.period_start, now + timedelta(seconds=1))
    return MonthToDate(status, tuple(daily), zone, suggested_amount(status.projected_period_spend))


def load_snapshot(ctx: AppContext, now: datetime) -> LedgerSnapshot:
    """Read statuses, daily spend, the model table and account states at ``now``."""
    from tokenwallet.ledger import accounts, allowances
    from tokenwallet.ledger.checked_status import checked_daily_spend
    from tokenwallet.services.provider_limits import provider_limits
    from tokenwallet.services.status import figures, link_suggestions

    db = ctx.ledger()
    views = []
    problems = []
    for allowance in allowances.list_allowances(db):
        try:
            status = figures(db, allowance, now).status
            daily = checked_daily_spend(db, allowance, status.period_start, now + timedelta(seconds=1))
        except StoredValueError as exc:
            problems.append(str(exc))
            continue
        views.append(AllowanceView(allowance, status, tuple(daily)))
    start = min(v.status.period_start for v in views) if views else now - timedelta(days=30)
    account_rows = _account_rows(ctx)
    successes = [r.last_success for r in account_rows if r.last_success is not None]
    try:
        models = _model_rows(ctx, start, now + timedelta(seconds=1))
    except StoredValueError as exc:
        models = ()
        problems.append(str(exc))
    month: MonthToDate | None = None
    if not views and not problems:
        try:
            month = month_to_date(ctx, now)
        except StoredValueError as exc:
            problems.append(str(exc))
    return LedgerSnapshot(
        taken_at=now,
        allowances=tuple(views),
        models=models,
        accounts=account_rows,
        last_update=max(successes) if successes else None,
        failing=any(r.error for r in account_rows),
        problems=tuple(problems),
        suggestions=tuple(link_suggestions(db, now)),
        limits=tuple(provider_limits(db, now)),
        month_to_date=month,
        labels={a.id: a.label for a in accounts.list_accounts(db)},
    )


def is_usd(view: AllowanceView) -> bool:
    """True when the allowance counts money (not tokens)."""
    return view.allowance.unit is Unit.USD
