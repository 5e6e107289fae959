"""What changed between two revisions of a policy, field by field, in the policy's own words.

Allowances are matched by name, top-ups by their day and reason; everything else is compared as
the value it describes (amounts as money or tokens, dates as days), so a revision that only
re-formats its file shows no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tokenwallet.budget.inputs import format_amount
from tokenwallet.policy.model import Policy, PolicyAllowance, Restrictions, Topup
from tokenwallet.policy.terms import vesting_words


class ChangeKind(StrEnum):
    """How a value changed."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: ``subject`` (``policy``, an allowance name, ``restrictions``) and its ``field``."""

    kind: ChangeKind
    subject: str
    field: str
    before: str | None = None
    after: str | None = None

    def text(self) -> str:
        """One line for people: ``~ AI compute amount: $500.00 -> $600.00``."""
        where = f"{self.subject} {self.field}".strip()
        if self.kind is ChangeKind.ADDED:
            return f"+ {where}: {self.after}"
        if self.kind is ChangeKind.REMOVED:
            return f"- {where}: {self.before}"
        return f"~ {where}: {self.before} -> {self.after}"


def _names(values: tuple[str, ...]) -> str:
    return ", ".join(values) if values else "any"


def _topup(t: Topup, a: PolicyAllowance) -> str:
    until = f" through {t.expires.isoformat()}" if t.expires else " (no expiry)"
    return f"{format_amount(t.amount, a.unit)} on {t.granted.isoformat()}{until}"


def allowance_fields(a: PolicyAllowance) -> dict[str, str]:
    """The comparable fields of a policy allowance as text (top-ups apart)."""
    if a.rollover is None:
        rollover = "none"
    else:
        cap = "no cap" if a.rollover.cap is None else f"cap {format_amount(a.rollover.cap, a.unit)}"
        lasts = f", lapses after {a.rollover.expires_days} days" if a.rollover.expires_days else ""
        rollover = cap + lasts
    return {
        "unit": a.unit.value,
        "amount": format_amount(a.amount, a.unit),
        "cadence": a.cadence.value,
        "anchor_day": str(a.anchor_day),
        "timezone": a.timezone or "the user's zone",
        "starts": a.starts.isoformat() if a.starts else "the effective day",
        "ends": a.ends.isoformat() if a.ends else "no end",
        "rollover": rollover,
        "providers": _names(a.providers),
        "models": _names(a.models),
        "transferable": "yes" if a.transferable else "no",
        "cash_value": "yes" if a.cash_value else "no",
        "vesting": vesting_words(a.vesting, a) if a.vesting else "none",
    }


def _allowance_changes(old: PolicyAllowance, new: PolicyAllowance) -> list[Change]:
    changes = []
    before, after = allowance_fields(old), allowance_fields(new)
    for name, value in after.items():
        if before[name] != value:
            changes.append(Change(ChangeKind.CHANGED, new.name, name, before[name], value))
    old_topups = {t.key: t for t in old.topups}
    new_topups = {t.key: t for t in new.topups}
    for key, t in new_topups.items():
        label = f"top-up {t.reason!r}" if t.reason else "top-up"
        if key not in old_topups:
            changes.append(Change(ChangeKind.ADDED, new.name, label, after=_topup(t, new)))
        elif _topup(old_topups[key], old) != _topup(t, new):
            changes.append(Change(ChangeKind.CHANGED, new.name, label, _topup(old_topups[key], old), _topup(t, new)))
    for key, t in old_topups.items():
        if key not in new_topups:
            label = f"top-up {t.reason!r}" if t.reason else "top-up"
            changes.append(Change(ChangeKind.REMOVED, old.name, label, before=_topup(t, old)))
    return changes


def _restriction_changes(old: Restrictions, new: Restrictions) -> list[Change]:
    return [
        Change(ChangeKind.CHANGED, "restrictions", name, _names(getattr(old, name)), _names(getattr(new, name)))
        for name in ("providers", "models", "regions")
        if {v.lower() for v in getattr(old, name)} != {v.lower() for v in getattr(new, name)}
    ]


def diff(old: Policy | None, new: Policy) -> list[Change]:
    """Every change from ``old`` (None: nothing imported yet) to ``new``."""
    if old is None:
        return [
            Change(ChangeKind.ADDED, "allowance", a.name, after=format_amount(a.amount, a.unit)) for a in new.allowances
        ]
    changes = []
    for name in ("employer", "revision", "effective"):
        before, after = str(getattr(old, name)), str(getattr(new, name))
        if before != after:
            changes.append(Change(ChangeKind.CHANGED, "policy", name, before, after))
    for a in new.allowances:
        previous = old.allowance(a.name)
        if previous is None:
            changes.append(Change(ChangeKind.ADDED, "allowance", a.name, after=format_amount(a.amount, a.unit)))
        else:
            changes.extend(_allowance_changes(previous, a))
    for a in old.allowances:
        if new.allowance(a.name) is None:
            changes.append(Change(ChangeKind.REMOVED, "allowance", a.name, before=format_amount(a.amount, a.unit)))
    changes.extend(_restriction_changes(old.restrictions, new.restrictions))
    if old.notes.strip() != new.notes.strip():
        changes.append(Change(ChangeKind.CHANGED, "policy", "notes", "(previous text)", new.notes.strip() or "(none)"))
    return changes
