"""Alert rules: add, list, remove and snooze them, read the history, and check them now.

Wraps :mod:`tokenwallet.alerts.service` for both front-ends.  Every number a rule takes is held
to the bounds of :mod:`tokenwallet.domain.limits` (see :func:`tokenwallet.alerts.rules.validate`);
a refused value names its input in ``field`` with the names of :class:`RuleRequest`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from tokenwallet.alerts import rules as r
from tokenwallet.alerts import service
from tokenwallet.budget.inputs import parse_amount, parse_when
from tokenwallet.domain.allowance import Allowance, Unit
from tokenwallet.domain.errors import UserInputError, input_field
from tokenwallet.ledger import alerts as store
from tokenwallet.ledger import allowances
from tokenwallet.ledger.alerts import AlertEvent

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.app import AppContext

_ALLOWANCE_KINDS = (r.RuleKind.THRESHOLD, r.RuleKind.FORECAST, r.RuleKind.EXPIRY, r.RuleKind.SPIKE)
_REQUEST_FIELD = {"days_before": "days", "min_amount": "absolute"}
"""Rule parameters whose name differs from the :class:`RuleRequest` field that sets them."""


class RuleRequest(msgspec.Struct, frozen=True):
    """A rule to add, as the user gave it; fields a kind does not use are ignored.

    ``allowance`` is a name or id; ``absolute`` and ``min_unspent`` are amounts as typed, in the
    allowance's unit; ``defaults`` adds the rules a new allowance gets (:func:`default_rules`).
    """

    kind: str = "threshold"
    allowance: str | None = None
    defaults: bool = False
    percent: float | None = None
    absolute: str | None = None
    margin_days: float = 0.0
    days: float = 7.0
    min_unspent: str | None = None
    factor: float = 3.0
    trailing_days: int = 14
    hours: float = 6.0
    account: str | None = None
    signal: str | None = None
    notify_recovery: bool = False


class RuleView(msgspec.Struct, frozen=True):
    """A rule with the name of its allowance (None: account-wide) and its snooze, if any."""

    rule: r.Rule
    allowance_name: str | None
    snoozed_until: datetime | None


def _params(request: RuleRequest, kind: r.RuleKind, unit: Unit) -> r.RuleParams:
    params: r.RuleParams
    if kind is r.RuleKind.THRESHOLD:
        with input_field("absolute"):
            absolute = parse_amount(request.absolute, unit, what="absolute threshold") if request.absolute else None
        params = r.ThresholdParams(percent=request.percent, absolute=absolute)
    elif kind is r.RuleKind.FORECAST:
        params = r.ForecastParams(margin_days=request.margin_days)
    elif kind is r.RuleKind.EXPIRY:
        with input_field("min_unspent"):
            least = parse_amount(request.min_unspent, unit, what="minimum unspent") if request.min_unspent else 1
        params = r.ExpiryParams(days_before=request.days, min_unspent=least)
    elif kind is r.RuleKind.SPIKE:
        params = r.SpikeParams(factor=request.factor, trailing_days=request.trailing_days)
    elif kind is r.RuleKind.OFF_POLICY:
        with input_field("absolute"):
            least = parse_amount(request.absolute, Unit.USD, what="off-policy minimum") if request.absolute else 0
        params = r.OffPolicyParams(min_amount=least)
    elif kind is r.RuleKind.STALE:
        params = r.StaleParams(hours=request.hours, account_id=request.account)
    else:
        signals = ", ".join(s.value for s in r.Signal)
        try:
            signal = r.Signal(request.signal or "")
        except ValueError:
            raise UserInputError(f"A provider rule needs a signal: one of {signals}.", field="signal") from None
        params = r.ProviderParams(signal, percent=request.percent or 90.0, account_id=request.account)
    try:
        r.validate(params)
    except UserInputError as exc:
        exc.field = _REQUEST_FIELD.get(exc.field or "", exc.field)
        raise
    return params


def build_rules(ctx: AppContext, request: RuleRequest) -> tuple[list[r.Rule], Allowance | None]:
    """Validate ``request`` into the rules to add (and the allowance they watch); nothing is written."""
    try:
        kind = r.RuleKind(request.kind)
    except ValueError:
        kinds = ", ".join(k.value for k in r.RuleKind)
        raise UserInputError(f"Unknown rule kind {request.kind!r}; use one of: {kinds}.", field="kind") from None
    allowance = None
    if request.allowance:
        with input_field("allowance"):
            allowance = allowances.find(ctx.ledger(), request.allowance)
    if request.defaults:
        if allowance is None:
            raise UserInputError("The default rules are for an allowance; name the allowance.", field="allowance")
        return default_rules(allowance.id), allowance
    if kind in _ALLOWANCE_KINDS and allowance is None:
        raise UserInputError(f"A {kind.value} rule watches an allowance; name the allowance.", field="allowance")
    params = _params(request, kind, allowance.unit if allowance else Unit.USD)
    rule = r.Rule(r.new_rule_id(), params, allowance.id if allowance else None, True, request.notify_recovery)
    return [rule], allowance


def default_rules(allowance_id: str) -> list[r.Rule]:
    """The rules every new allowance gets (see :func:`tokenwallet.alerts.rules.default_rules`).

    Actual spend at 80, 95 and 100% used; the forecast "runs out before the reset"; and a
    warning 3 days before a grant lapses with value unspent.  They are ordinary rules: listed,
    snoozed and removed like any other.
    """
    return r.default_rules(allowance_id)


def add_default_rules(
    db: Database,
    allowance_id: str,
    now: datetime,
    *,
    actor: str = "user",
    details: dict[str, Any] | None = None,
) -> list[r.Rule]:
    """Store :func:`default_rules` for a new allowance, each with its audit entry (marked ``default``).

    The one place every way of creating an allowance (the command line, the settings dialog, a
    policy import) gets its default alerts from; call it in the transaction that adds the allowance.
    """
    with db.atomic():
        return [
            service.add_rule(db, rule, now, actor=actor, details={"default": True, **(details or {})})
            for rule in default_rules(allowance_id)
        ]


def add_rules(ctx: AppContext, request: RuleRequest) -> list[RuleView]:
    """Add the rule described by ``request`` (or the default rules), each with an audit entry."""
    rules, allowance = build_rules(ctx, request)
    db = ctx.ledger()
    now = ctx.clock()
    name = allowance.name if allowance else None
    return [RuleView(service.add_rule(db, rule, now), name, None) for rule in rules]


def list_rules(ctx: AppContext) -> list[RuleView]:
    """Every rule, with its allowance's name and the end of a snooze still running."""
    db = ctx.ledger()
    now = ctx.clock()
    names = {a.id: a.name for a in allowances.list_allowances(db)}
    snoozes = {k: v for k, v in store.snoozes(db).items() if v > now}
    rules = [r.from_stored(row) for row in store.list_rules(db)]
    return [RuleView(rule, names.get(rule.allowance_id or ""), snoozes.get(rule.id)) for rule in rules]


def remove_rule(ctx: AppContext, rule_id: str) -> None:
    """Remove a rule (audited); the alerts it fired stay in the history."""
    service.remove_rule(ctx.ledger(), rule_id, ctx.clock())


def snooze_rule(ctx: AppContext, rule_id: str, duration: str) -> datetime | None:
    """Snooze a rule for ``1h``, ``1d``, ``Nh``/``Nd`` (up to ten years), until the next ``period``, or ``off``.

    Returns the end of the snooze (None: no longer snoozed).
    """
    with input_field("duration"):
        return service.snooze(ctx.ledger(), rule_id, ctx.clock(), duration)


def alert_history(ctx: AppContext, *, since: str | None = None, limit: int = 50) -> list[AlertEvent]:
    """The newest ``limit`` alerts fired since ``since`` (UTC when naive), oldest first."""
    with input_field("since"):
        start = parse_when(since, "UTC", what="start date") if since else None
    return store.events(ctx.ledger(), since=start, limit=limit)


def check_alerts(ctx: AppContext, *, notify: bool = True) -> list[AlertEvent]:
    """Evaluate every rule now; returns the alerts recorded.  ``notify`` False records without telling."""
    from tokenwallet.alerts.delivery import default_delivery

    deliver = None
    if notify:
        deliver = default_delivery(ctx.settings.alert_hook or None, hide_amounts=lambda: ctx.settings.hide_amounts)
    return service.run_alerts(ctx.ledger(), ctx.clock(), ctx.settings, deliver)


def rules_for(ctx: AppContext, allowance: str) -> list[RuleView]:
    """The rules that watch ``allowance`` (name or id), in the order they were added, with their snoozes."""
    allowance_id = allowances.find(ctx.ledger(), allowance).id
    return [view for view in list_rules(ctx) if view.rule.allowance_id == allowance_id]


def edit_rule(ctx: AppContext, rule_id: str, request: RuleRequest) -> RuleView:
    """Replace a rule with the one ``request`` describes (checked like :func:`add_rules`), in one transaction.

    The new rule has its own id and starts unfired: a changed threshold that is already crossed
    fires at the next evaluation.  The old rule's alerts stay in the history; both the removal and
    the addition are audited (the addition names the rule it replaces).  A request that describes
    the rule as it is changes nothing.
    """
    db = ctx.ledger()
    old = r.from_stored(store.get_rule(db, rule_id))
    [rule], allowance = build_rules(ctx, request)
    views = {v.rule.id: v for v in list_rules(ctx)}
    if (
        rule.params == old.params
        and rule.allowance_id == old.allowance_id
        and rule.notify_recovery == old.notify_recovery
    ):
        return views[rule_id]
    now = ctx.clock()
    with db.atomic():
        service.remove_rule(db, rule_id, now)
        added = service.add_rule(db, rule, now, details={"replaces": rule_id})
    return RuleView(added, allowance.name if allowance else None, None)


def describe_rule(rule: r.Rule, unit: Unit = Unit.USD) -> str:
    """What a rule watches, in the words of the settings window (amounts in the allowance's ``unit``)."""
    from tokenwallet.budget.inputs import format_amount

    p = rule.params
    if isinstance(p, r.ThresholdParams):
        if p.percent is not None:
            return f"{p.percent:g}% of the allowance is used"
        return f"spend this period reaches {format_amount(p.absolute or 0, unit)}"
    if isinstance(p, r.ForecastParams):
        early = f" by more than {p.margin_days:g} days" if p.margin_days else ""
        return f"at the current pace it will run out before the reset{early}"
    if isinstance(p, r.ExpiryParams):
        least = f" (at least {format_amount(p.min_unspent, unit)})" if p.min_unspent > 1 else ""
        return f"a grant lapses within {p.days_before:g} days with value unspent{least}"
    if isinstance(p, r.SpikeParams):
        return f"today's spend is {p.factor:g}× the median of the last {p.trailing_days} days"
    return rule.describe()


def _amount_text(amount: int, unit: Unit) -> str:
    """An amount as a person types it: dollars (``12.5``) or a plain token count."""
    from tokenwallet.domain.money import micros_to_decimal

    return f"{micros_to_decimal(amount).normalize():f}" if unit is Unit.USD else str(amount)


def request_for(rule: r.Rule, unit: Unit = Unit.USD) -> RuleRequest:
    """The :class:`RuleRequest` that describes ``rule`` as it is (to prefill a form that changes it)."""
    p = rule.params
    common: dict[str, Any] = {"allowance": rule.allowance_id, "notify_recovery": rule.notify_recovery}
    if isinstance(p, r.ThresholdParams):
        absolute = _amount_text(p.absolute, unit) if p.absolute is not None else None
        return RuleRequest(kind="threshold", percent=p.percent, absolute=absolute, **common)
    if isinstance(p, r.ForecastParams):
        return RuleRequest(kind="forecast", margin_days=p.margin_days, **common)
    if isinstance(p, r.ExpiryParams):
        least = _amount_text(p.min_unspent, unit) if p.min_unspent > 1 else None
        return RuleRequest(kind="expiry", days=p.days_before, min_unspent=least, **common)
    if isinstance(p, r.SpikeParams):
        return RuleRequest(kind="spike", factor=p.factor, trailing_days=p.trailing_days, **common)
    return RuleRequest(kind=rule.kind.value, **common)
