"""The counting rule's explanations in the stable JSON shape: streams, splits, suggestions, overspend.

Fields here are additions to ``status --json`` (and ``allowance show --json``); the contract's
existing fields keep their meaning.  Amounts are in the allowance's unit, with text under
``formatted``.
"""

from __future__ import annotations

from typing import Any

from tokenwallet.budget.inputs import format_amount
from tokenwallet.domain.allowance import Allowance, AllowanceStatus
from tokenwallet.domain.meter import LinkSuggestion


def meter_json(status: AllowanceStatus, allowance: Allowance | None = None) -> dict[str, Any]:
    """How an allowance's figures were counted: per stream, split buckets, notes, and by how much it is over."""
    unit = status.unit

    def amounts(**values: int) -> dict[str, Any]:
        return {**values, "formatted": {k: format_amount(v, unit) for k, v in values.items()}}

    return {
        "percent_spent": status.percent_spent,
        "superseded": status.superseded,
        "subscription_value": status.subscription_value,
        "counts_subscriptions": bool(allowance and allowance.count_subscriptions),
        "streams": [
            {
                "stream": f.stream,
                "confidence": f.confidence.value,
                "covered_by": f.covered_by,
                "basis": f.basis,
                **amounts(counted=f.counted, superseded=f.superseded, excluded=f.excluded),
            }
            for f in status.streams
        ],
        "split": bool(status.splits),
        "splits": [
            {
                "stream": s.stream,
                "confidence": s.confidence.value,
                "utc_day": s.day.isoformat(),
                "by": s.by,
                **amounts(amount=s.amount, in_period=s.in_period),
            }
            for s in status.splits
        ],
        "notes": list(status.notes),
    }


def formatted_extra(status: AllowanceStatus) -> dict[str, str]:
    """Text for the added amounts, merged into the status's ``formatted``."""
    return {
        "superseded": format_amount(status.superseded, status.unit),
        "subscription_value": format_amount(status.subscription_value, status.unit),
    }


def suggestion_command(s: LinkSuggestion) -> str:
    """The command that makes a suggested link."""
    return f"tokenwallet account edit {s.logs} --billed-by {s.account}"


def suggestion_json(s: LinkSuggestion) -> dict[str, Any]:
    """A suggested link between an agent-log source and the account it looks billed through."""
    return {"logs": s.logs, "account": s.account, "days": s.days, "tokens": s.tokens, "command": suggestion_command(s)}
