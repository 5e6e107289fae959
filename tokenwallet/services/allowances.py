"""Allowances: add, edit and remove; the one implementation both front-ends call.

Amounts, dates and durations arrive as the user typed them and are parsed here through
:mod:`tokenwallet.budget.inputs`, which holds them to the bounds of :mod:`tokenwallet.domain.limits`.
A :class:`~tokenwallet.domain.errors.UserInputError` names the input it is about in ``field``
(``amount``, ``anchor_day``, ``starts``, ...) and speaks in domain words; nothing is written
when one is raised.  Every change is audited in the same transaction (see ``ledger.allowances``).
Top-ups and adjustments are in :mod:`tokenwallet.services.grants`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from tokenwallet.budget.inputs import parse_amount, parse_cadence, parse_days, parse_unit, parse_when, parse_zone
from tokenwallet.budget.periods import period_at
from tokenwallet.domain.allowance import Allowance, Cadence, RolloverPolicy, Scope, Unit
from tokenwallet.domain.errors import UserInputError, input_field
from tokenwallet.domain.money import micros_to_decimal
from tokenwallet.ledger import accounts, allowances
from tokenwallet.services.alert_rules import add_default_rules
from tokenwallet.services.local_zone import local_zone_name
from tokenwallet.services.policy_owned import refuse_policy_owned

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.app import AppContext

_MONTHLY = (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.YEARLY)


def amount_text(amount: int, unit: Unit) -> str:
    """An amount as a person would type it: dollars (``12.5``) for usd, a plain count for tokens."""
    return f"{micros_to_decimal(amount).normalize():f}" if unit is Unit.USD else str(amount)


def anchor_fits(cadence: Cadence, anchor_day: int) -> bool:
    """Whether ``anchor_day`` can start the periods of ``cadence``."""
    if cadence is Cadence.WEEKLY:
        return 1 <= anchor_day <= 7
    if cadence in _MONTHLY:
        return 1 <= anchor_day <= 28
    return anchor_day == 1


def _check_anchor(cadence: Cadence, anchor_day: int | None) -> int:
    if anchor_day is None or anchor_fits(cadence, anchor_day):
        return 1 if anchor_day is None else anchor_day
    if cadence is Cadence.WEEKLY:
        message = f"The anchor day {anchor_day} is not a weekday; use 1 (Monday) to 7 (Sunday)."
    elif cadence in _MONTHLY:
        message = f"The anchor day {anchor_day} cannot start a period every month; use a day from 1 to 28."
    else:
        message = f"An anchor day does not apply to a {cadence.value} allowance; leave it out."
    raise UserInputError(message, field="anchor_day")


def _rollover(
    cadence: Cadence, unit: Unit, rollover: bool, cap: str | None, expires_days: int | None
) -> RolloverPolicy | None:
    if not (rollover or cap is not None or expires_days is not None):
        return None
    if cadence is Cadence.ONE_OFF:
        raise UserInputError(
            "A one-off allowance has no next period to roll over into; turn rollover off.", field="rollover"
        )
    if expires_days is not None:
        with input_field("rollover_expires_days"):
            parse_days(expires_days, what="time rolled-over value lasts", allow_zero=False)
    with input_field("rollover_cap"):
        cap_value = parse_amount(cap, unit, what="rollover cap") if cap is not None else None
    return RolloverPolicy(cap=cap_value, expires_days=expires_days)


def build_allowance(
    ctx: AppContext,
    *,
    name: str,
    amount: str,
    unit: str = "usd",
    cadence: str = "monthly",
    anchor_day: int | None = None,
    timezone: str | None = None,
    starts: str | None = None,
    ends: str | None = None,
    rollover: bool = False,
    rollover_cap: str | None = None,
    rollover_expires_days: int | None = None,
    scope: Sequence[str] = (),
    providers: Sequence[str] = (),
    models: Sequence[str] = (),
    backing_account: str | None = None,
    count_subscriptions: bool = False,
) -> Allowance:
    """Validate a new allowance's definition into an :class:`Allowance`; nothing is written.

    Without ``starts`` a periodic allowance covers the period it is created in (so spend since
    the last reset counts) and a one-off one starts now; ``ends`` is inclusive for a bare date.
    Dates without an offset are read in ``timezone`` (default: the user's zone).
    """
    if not name.strip():
        raise UserInputError("The allowance needs a name, e.g. work.", field="name")
    with input_field("unit"):
        the_unit = parse_unit(unit)
    with input_field("cadence"):
        the_cadence = parse_cadence(cadence)
    with input_field("amount"):
        value = parse_amount(amount, the_unit)
    anchor = _check_anchor(the_cadence, anchor_day)
    with input_field("timezone"):
        zone_name = parse_zone(timezone) if timezone else local_zone_name(ctx)
    now = ctx.clock()
    with input_field("ends"):
        ends_at = parse_when(ends, zone_name, what="end date", end_of_day=True) if ends else None
    policy = _rollover(the_cadence, the_unit, rollover, rollover_cap, rollover_expires_days)
    db = ctx.ledger()
    with input_field("scope"):
        for account_id in scope:
            accounts.get(db, account_id)  # NotFoundError names the unknown account
    if backing_account:
        with input_field("backing_account"):
            accounts.get(db, backing_account)
    draft = Allowance(
        id=allowances.new_id(),
        name=name.strip(),
        unit=the_unit,
        amount=value,
        cadence=the_cadence,
        starts_at=now,
        timezone=zone_name,
        anchor_day=anchor,
        ends_at=ends_at,
        scope=Scope(tuple(scope), tuple(providers), tuple(models)),
        rollover=policy,
        backing_account_id=backing_account or None,
        created_at=now,
        count_subscriptions=count_subscriptions,
    )
    if starts:
        with input_field("starts"):
            starts_at = parse_when(starts, zone_name, what="start date")
    elif the_cadence is Cadence.ONE_OFF:
        starts_at = now
    else:
        starts_at = period_at(draft, now)[0]
    if the_cadence is Cadence.ONE_OFF and ends_at is None:
        raise UserInputError("A one-off allowance needs an end date, e.g. 2026-12-31.", field="ends")
    if ends_at is not None and ends_at <= starts_at:
        raise UserInputError(
            f"The end ({ends_at.isoformat()}) must be after the start ({starts_at.isoformat()}); give a later date.",
            field="ends",
        )
    return replace(draft, starts_at=starts_at)


def add_allowance(
    ctx: AppContext,
    *,
    name: str,
    amount: str,
    unit: str = "usd",
    cadence: str = "monthly",
    anchor_day: int | None = None,
    timezone: str | None = None,
    starts: str | None = None,
    ends: str | None = None,
    rollover: bool = False,
    rollover_cap: str | None = None,
    rollover_expires_days: int | None = None,
    scope: Sequence[str] = (),
    providers: Sequence[str] = (),
    models: Sequence[str] = (),
    backing_account: str | None = None,
    default_alerts: bool = True,
    count_subscriptions: bool = False,
) -> Allowance:
    """Validate (see :func:`build_allowance`) and store a new allowance; returns it as stored.

    With ``default_alerts`` it gets the default alert rules
    (:func:`tokenwallet.services.alert_rules.default_rules`) in the same transaction.
    ``count_subscriptions``: a usd allowance counts the API-equivalent value of subscription usage.
    """
    allowance = build_allowance(
        ctx,
        name=name,
        amount=amount,
        unit=unit,
        cadence=cadence,
        anchor_day=anchor_day,
        timezone=timezone,
        starts=starts,
        ends=ends,
        rollover=rollover,
        rollover_cap=rollover_cap,
        rollover_expires_days=rollover_expires_days,
        scope=scope,
        providers=providers,
        models=models,
        backing_account=backing_account,
        count_subscriptions=count_subscriptions,
    )
    return store_allowance(ctx.ledger(), allowance, at=ctx.clock(), default_alerts=default_alerts)


def store_allowance(
    db: Database,
    allowance: Allowance,
    *,
    at: datetime,
    default_alerts: bool = True,
    actor: str = "user",
    details: dict[str, Any] | None = None,
) -> Allowance:
    """Store a validated allowance and, with ``default_alerts``, its default alert rules, atomically.

    Every way of creating an allowance goes through here, so each gets the same defaults;
    ``actor`` and ``details`` go into the audit entries (a policy import names itself).
    """
    with db.atomic():
        stored = allowances.add(db, allowance, at=at, actor=actor, details=details)
        if default_alerts:
            add_default_rules(db, stored.id, at, actor=actor, details=details)
    return stored


def edited_allowance(
    ctx: AppContext,
    before: Allowance,
    *,
    name: str,
    amount: str,
    unit: str,
    cadence: str,
    anchor_day: int | None,
    rollover: bool,
    rollover_cap: str | None,
    scope: Sequence[str],
) -> Allowance:
    """Validate a new definition like :func:`build_allowance` does; nothing is written.

    The id, start, time zone, end, providers, models, backing account and creation time stay
    as in ``before``; so does how long rolled-over value lasts while rollover stays on.
    """
    draft = build_allowance(
        ctx,
        name=name,
        amount=amount,
        unit=unit,
        cadence=cadence,
        anchor_day=anchor_day,
        timezone=before.timezone,
        rollover=rollover,
        rollover_cap=rollover_cap,
        rollover_expires_days=before.rollover.expires_days if before.rollover and rollover else None,
        scope=scope,
        providers=before.scope.providers,
        models=before.scope.models,
    )
    return replace(
        draft,
        id=before.id,
        starts_at=before.starts_at,
        ends_at=before.ends_at,
        backing_account_id=before.backing_account_id,
        created_at=before.created_at,
        count_subscriptions=before.count_subscriptions,
    )


def edit_allowance(
    ctx: AppContext,
    allowance: str,
    *,
    name: str,
    amount: str,
    unit: str,
    cadence: str,
    anchor_day: int | None,
    rollover: bool,
    rollover_cap: str | None,
    scope: Sequence[str] = (),
) -> Allowance:
    """Replace the definition of ``allowance`` (name or id) with the one given in full; same id.

    ``rollover_cap`` None means no cap.  See :func:`edited_allowance` for what stays.
    """
    db = ctx.ledger()
    before = allowances.find(db, allowance)
    edited = edited_allowance(
        ctx,
        before,
        name=name,
        amount=amount,
        unit=unit,
        cadence=cadence,
        anchor_day=anchor_day,
        rollover=rollover,
        rollover_cap=rollover_cap,
        scope=scope,
    )
    refuse_policy_owned(db, before, edited)
    return allowances.replace(db, edited, at=ctx.clock())


def change_allowance(
    ctx: AppContext,
    allowance: str,
    *,
    name: str | None = None,
    amount: str | None = None,
    unit: str | None = None,
    cadence: str | None = None,
    anchor_day: int | None = None,
    rollover: bool | None = None,
    rollover_cap: str | None = None,
    scope: Sequence[str] | None = None,
    count_subscriptions: bool | None = None,
) -> Allowance:
    """Change only what is given of ``allowance`` (name or id); None keeps the current value.

    ``scope=()`` counts every account again.  A one-off allowance has no anchor day; without a
    new one, an anchor day that does not fit a new cadence falls back to the cadence's default.
    A cap is kept while rollover stays on; giving a cap turns rollover on, as it does for a new
    allowance.
    """
    db = ctx.ledger()
    before = allowances.find(db, allowance)
    new_cadence = cadence or before.cadence.value
    with input_field("cadence"):
        parsed = parse_cadence(new_cadence)
    if parsed is Cadence.ONE_OFF:
        anchor_day = None
    elif anchor_day is None:
        anchor_day = before.anchor_day if anchor_fits(parsed, before.anchor_day) else None
    if rollover is None:
        rollover = before.rollover is not None or rollover_cap is not None  # a new cap carries value over
    cap = rollover_cap
    if cap is None and before.rollover is not None and before.rollover.cap is not None:
        cap = amount_text(before.rollover.cap, before.unit)
    edited = edited_allowance(
        ctx,
        before,
        name=name or before.name,
        amount=amount or amount_text(before.amount, before.unit),
        unit=unit or before.unit.value,
        cadence=new_cadence,
        anchor_day=anchor_day,
        rollover=rollover,
        rollover_cap=cap if rollover else None,
        scope=before.scope.accounts if scope is None else scope,
    )
    if count_subscriptions is not None:
        edited = replace(edited, count_subscriptions=count_subscriptions)
    refuse_policy_owned(db, before, edited)
    return allowances.replace(db, edited, at=ctx.clock())


def remove_allowance(ctx: AppContext, allowance: str) -> Allowance:
    """Remove ``allowance`` (name or id); the audit log keeps its definition, recorded usage stays."""
    db = ctx.ledger()
    target = allowances.find(db, allowance)
    allowances.remove(db, target.id, at=ctx.clock())
    return target


def find_allowance(ctx: AppContext, allowance: str) -> Allowance:
    """The allowance with this name (or id); :class:`~tokenwallet.domain.errors.NotFoundError` otherwise."""
    return allowances.find(ctx.ledger(), allowance)


def list_allowances(ctx: AppContext) -> list[Allowance]:
    """Every allowance, by name."""
    return allowances.list_allowances(ctx.ledger())
