"""The allowance as compensation: what it is worth a month and a year, what was used and what lapsed.

For every usd allowance, at a moment ``at`` (now, or a report month's end):

* its standing value per month and year (:func:`tokenwallet.budget.compensation.standing_value`);
* the calendar year so far (in the user's zone): value granted, spent (and how much of it beyond
  the allowance), lapsed unspent, what remains now;
* the year's projection at the current pace: value to be granted by the year's end and what will
  have been spent, so what would be left unspent;
* from an employer policy, when one created it: vested and unvested value, what could be paid out
  and what would be forfeited, and the policy's terms in plain words
  (:func:`tokenwallet.services.policy_value.allowance_values`);
* the allowance as a share of the user's pay (``pay_amount`` per ``pay_period`` in the settings).

The dashboard's Compensation view shows :func:`compensation`; the monthly report carries the
same lines (:func:`for_report`).  Token allowances have no money value and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from tokenwallet.budget.compensation import pay_in_micros, projected_consumption, share_of_pay, standing_value
from tokenwallet.budget.grants import periodic_grant
from tokenwallet.budget.periods import local_midnight, periods_between, zone
from tokenwallet.domain.allowance import Allowance, AllowanceStatus, Cadence, GrantKind, Unit
from tokenwallet.domain.clock import ensure_utc
from tokenwallet.domain.errors import StoredValueError
from tokenwallet.reports.model import Compensation, CompensationLine, MonthlyReport

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.app import AppContext
    from tokenwallet.services.policy_value import AllowanceValue
    from tokenwallet.settings import Settings

DAY = 86_400


@dataclass(frozen=True, slots=True)
class Pay:
    """The user's pay: ``amount`` of ``currency`` per ``period`` (``month``), ``rate`` units per US dollar."""

    amount: Decimal
    currency: str
    rate: Decimal
    period: str = "month"

    def per_month(self) -> int:
        """Pay per month in micro-USD."""
        monthly = self.amount if self.period == "month" else self.amount / 12
        return pay_in_micros(monthly, self.rate)

    def per_year(self) -> int:
        """Pay per year in micro-USD."""
        yearly = self.amount * 12 if self.period == "month" else self.amount
        return pay_in_micros(yearly, self.rate)


@dataclass(frozen=True, slots=True)
class CompensationView:
    """Every usd allowance as pay at ``as_of``, for the calendar ``year`` in ``zone``; figures in micro-USD."""

    as_of: datetime
    year: int
    zone: str
    lines: tuple[CompensationLine, ...]
    pay: Pay | None
    left_out: tuple[str, ...] = ()
    """Allowances that could not be valued (a stored value out of bounds), in plain words."""

    def total(self, name: str) -> int:
        """One figure summed over every allowance (``"per_month"``, ``"year_consumed"``, ...)."""
        return sum(int(getattr(line, name)) for line in self.lines)

    @property
    def share_of_monthly_pay(self) -> Decimal | None:
        """The standing monthly value as a share of a month's pay."""
        return share_of_pay(self.total("per_month"), self.pay.per_month()) if self.pay else None

    @property
    def share_of_yearly_pay(self) -> Decimal | None:
        """The year's projected value (top-ups included) as a share of a year's pay."""
        return share_of_pay(self.total("projected_value"), self.pay.per_year()) if self.pay else None


def pay_from_settings(settings: Settings) -> Pay | None:
    """The pay entered in the settings (``pay_amount`` per ``pay_period`` in ``pay_currency``), or None."""
    if not settings.pay_amount:
        return None
    currency = settings.pay_currency or settings.display_currency
    try:
        amount = Decimal(settings.pay_amount)
        rate = Decimal(1) if currency == "USD" else Decimal(settings.currency_rate)
    except InvalidOperation:
        return None
    if amount <= 0 or rate <= 0:
        return None
    period = "year" if settings.pay_period == "yearly" else "month"
    return Pay(amount=amount, currency=currency, rate=rate, period=period)


def _year_bounds(at: datetime, zone_name: str) -> tuple[datetime, datetime]:
    tz = zone(zone_name)
    year = at.astimezone(tz).year
    return local_midnight(date(year, 1, 1), tz), local_midnight(date(year + 1, 1, 1), tz)


def allowance_line(
    db: Database,
    allowance: Allowance,
    at: datetime,
    year: tuple[datetime, datetime],
    value: AllowanceValue | None = None,
) -> CompensationLine:
    """One usd allowance as pay at ``at`` for the calendar ``year`` (start, end) it falls in."""
    from tokenwallet.ledger import allowances
    from tokenwallet.ledger.checked_status import checked_daily_spend, checked_status
    from tokenwallet.ledger.status import closed_period_status

    start, end = year
    per_month, per_year = standing_value(allowance.amount, allowance.cadence)
    explicit = allowances.grants_for(db, allowance.id)
    granted = sum(
        periodic_grant(allowance, p).amount
        for p in periods_between(allowance, start, at)
        if start <= periodic_grant(allowance, p).granted_at <= at
    )
    granted += sum(g.amount for g in explicit if g.kind is not GrantKind.ROLLOVER and start <= g.granted_at <= at)
    counted_from = max(start, allowance.starts_at)  # spend before the allowance began is not its
    consumed = sum(d.amount for d in checked_daily_spend(db, allowance, counted_from, at + timedelta(seconds=1)))

    now: AllowanceStatus = checked_status(db, allowance, at)
    closed = [
        closed_period_status(db, allowance, p[0], p[1]) for p in periods_between(allowance, start, at) if p[1] <= at
    ]
    overspent = now.overspent + sum(st.overspent for st in closed)
    forfeited = 0
    seen: set[str] = set()
    for balance in (b for st in (*closed, now) for b in st.grants):
        grant = balance.grant
        if grant.id in seen:
            continue
        seen.add(grant.id)
        if grant.expires_at is not None and start < grant.expires_at <= at:
            forfeited += balance.expired

    # The rest of the year at the current pace: the current period, then the periods still to start.
    upcoming: list[tuple[int, float]] = []
    future_value = 0
    if allowance.cadence is not Cadence.ONE_OFF:
        for period in periods_between(allowance, now.period_end, end):
            grant = periodic_grant(allowance, period)
            if grant.granted_at < now.period_end or grant.granted_at >= end:
                continue
            days = (min(period[1], end) - period[0]).total_seconds() / DAY
            upcoming.append((grant.amount, days))
            future_value += grant.amount
    current_days = (min(now.period_end, end) - at).total_seconds() / DAY
    projected = projected_consumption(consumed, now.remaining, now.burn_rate_per_day, current_days, upcoming)
    remaining = now.remaining
    line = CompensationLine(
        allowance_id=allowance.id,
        name=allowance.name,
        per_month=per_month,
        per_year=per_year,
        year_granted=granted,
        year_consumed=consumed,
        year_overspent=overspent,
        year_forfeited=forfeited,
        remaining=remaining,
        projected_consumed=projected,
        projected_value=granted + future_value,
        forfeitable=remaining,
    )
    if value is not None:
        line = replace(
            line,
            vested=value.vested,
            unvested=value.unvested,
            payable=value.payable,
            forfeitable=value.forfeitable,
            policy_id=value.policy_id,
            terms=value.terms,
        )
    return line


def compensation(ctx: AppContext, at: datetime | None = None) -> CompensationView:
    """Every usd allowance as pay at ``at`` (now by default), for the calendar year in the user's zone."""
    from tokenwallet.ledger import allowances
    from tokenwallet.services.local_zone import local_zone_name
    from tokenwallet.services.policy_value import allowance_values

    moment = ensure_utc(at or ctx.clock())
    zone_name = local_zone_name(ctx)
    bounds = _year_bounds(moment, zone_name)
    db = ctx.ledger()
    values = {v.allowance_id: v for v in allowance_values(ctx, at=moment)}
    lines: list[CompensationLine] = []
    left_out: list[str] = []
    for allowance in allowances.list_allowances(db):
        if allowance.unit is not Unit.USD:
            continue
        try:
            lines.append(allowance_line(db, allowance, moment, bounds, values.get(allowance.id)))
        except StoredValueError as exc:
            left_out.append(str(exc))
    return CompensationView(
        as_of=moment,
        year=moment.astimezone(zone(zone_name)).year,
        zone=zone_name,
        lines=tuple(lines),
        pay=pay_from_settings(ctx.settings),
        left_out=tuple(left_out),
    )


def for_report(ctx: AppContext, report: MonthlyReport) -> Compensation:
    """The report's compensation with the year's lines, as of the month's end (or now, for this month)."""
    view = compensation(ctx, min(report.generated_at, report.end - timedelta(seconds=1)))
    return replace(
        report.compensation,
        year=view.year,
        lines=view.lines,
        share_of_year_pay=view.share_of_yearly_pay,
    )
