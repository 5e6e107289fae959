"""The JSON shapes of policies, import plans, values and off-policy spend (stable, additive only).

Shared by ``policy`` and ``status``; kept apart from the commands so ``status`` does not load them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenwallet.budget.inputs import format_amount
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.money import format_money

if TYPE_CHECKING:
    from tokenwallet.ledger.policies import PolicyLink
    from tokenwallet.policy.diff import Change
    from tokenwallet.policy.off_policy import OffPolicySpend
    from tokenwallet.services.policy import ImportPlan, Step
    from tokenwallet.services.policy_value import AllowanceValue


def off_policy_json(spend: OffPolicySpend) -> dict[str, Any]:
    """One policy's off-policy usage: totals (micro-USD, tokens, rows) and each route with why."""
    return {
        "policy_id": spend.policy_id,
        "revision": spend.revision,
        "since": spend.since,
        "until": spend.until,
        "cost_micros": spend.cost_micros,
        "tokens": spend.tokens,
        "rows": spend.rows,
        "formatted": {"cost": format_money(spend.cost_micros)},
        "routes": [
            {
                "provider": o.route.provider,
                "model": o.route.model,
                "region": o.route.region or None,
                "cost_micros": o.route.cost_micros,
                "tokens": o.route.tokens,
                "rows": o.route.rows,
                "first_at": o.route.first_at,
                "last_at": o.route.last_at,
                "reasons": list(o.reasons),
            }
            for o in spend.routes
        ],
    }


def link_json(link: PolicyLink | None) -> dict[str, Any] | None:
    """Which policy created an allowance (null: made by hand) and the fields it owns."""
    if link is None:
        return None
    return {
        "policy_id": link.policy_id,
        "revision": link.revision,
        "name": link.name,
        "owned": list(link.owned),
        "retired_revision": link.retired_revision,
    }


def change_json(change: Change) -> dict[str, Any]:
    """One difference between two revisions."""
    return {
        "kind": change.kind.value,
        "subject": change.subject,
        "field": change.field,
        "before": change.before,
        "after": change.after,
        "text": change.text(),
    }


def step_json(step: Step) -> dict[str, Any]:
    """One thing an import does."""
    return {"action": step.action, "subject": step.subject, "detail": step.detail, "text": step.text()}


def plan_json(plan: ImportPlan, *, applied: bool) -> dict[str, Any]:
    """An import or diff: what the file is, what changed in the policy and what happens in the ledger."""
    return {
        "policy_id": plan.policy.policy_id,
        "revision": plan.policy.revision,
        "employer": plan.policy.employer,
        "effective": plan.policy.effective.isoformat(),
        "kind": plan.kind.value,
        "previous_revision": plan.previous.revision if plan.previous else None,
        "nothing_to_do": plan.nothing_to_do,
        "applied": applied,
        "changes": [change_json(c) for c in plan.changes],
        "steps": [step_json(s) for s in plan.steps],
    }


def value_json(value: AllowanceValue) -> dict[str, Any]:
    """The value of a policy-created allowance, amounts in its unit, with text under ``formatted``."""
    amounts = ("vesting_total", "vested", "unvested", "remaining", "payable", "forfeitable", "lapsed", "at_risk")

    def text(amount: int, unit: Unit = value.unit) -> str:
        return format_amount(amount, unit)

    return {
        "allowance_id": value.allowance_id,
        "name": value.name,
        "unit": value.unit.value,
        "policy_id": value.policy_id,
        "revision": value.revision,
        **{name: getattr(value, name) for name in amounts},
        "next_vesting": None
        if value.next_vesting is None
        else {"day": value.next_vesting[0].isoformat(), "amount": value.next_vesting[1]},
        "transferable": value.transferable,
        "cash_value": value.cash_value,
        "terms": list(value.terms),
        "formatted": {name: text(getattr(value, name)) for name in amounts},
    }
