"""The JSON shapes of allowances and grants (the stable ``--json`` contract of ``allowance``)."""

from __future__ import annotations

from typing import Any

from tokenwallet.budget.inputs import format_amount
from tokenwallet.cli.output import JSON_SCHEMA_VERSION
from tokenwallet.domain.allowance import Allowance, Grant


def allowance_json(allowance: Allowance) -> dict[str, Any]:
    """An allowance's definition in the stable JSON shape."""
    return {
        "id": allowance.id,
        "name": allowance.name,
        "unit": allowance.unit.value,
        "amount": allowance.amount,
        "amount_formatted": format_amount(allowance.amount, allowance.unit),
        "cadence": allowance.cadence.value,
        "anchor_day": allowance.anchor_day,
        "timezone": allowance.timezone,
        "starts_at": allowance.starts_at,
        "ends_at": allowance.ends_at,
        "scope": {
            "accounts": list(allowance.scope.accounts),
            "providers": list(allowance.scope.providers),
            "models": list(allowance.scope.models),
        },
        "rollover": None
        if allowance.rollover is None
        else {"cap": allowance.rollover.cap, "expires_days": allowance.rollover.expires_days},
        "backing_account_id": allowance.backing_account_id,
        "created_at": allowance.created_at,
        "count_subscriptions": allowance.count_subscriptions,
    }


def grant_json(allowance: Allowance, grant: Grant) -> dict[str, Any]:
    """A top-up or adjustment just recorded, with the allowance's name."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "allowance": allowance.name,
        "grant": {
            "id": grant.id,
            "kind": grant.kind.value,
            "amount": grant.amount,
            "amount_formatted": format_amount(grant.amount, allowance.unit),
            "granted_at": grant.granted_at,
            "expires_at": grant.expires_at,
            "note": grant.note,
        },
    }
