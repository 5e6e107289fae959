"""Employer policies: preview, import, diff and show; the one implementation both front-ends call.

An import reads and validates the file (:mod:`tokenwallet.policy.parse`), compares it with the
ledger and builds an :class:`ImportPlan`: the steps it would take (allowances to create, change or
end; top-ups and vesting instalments as dated grants; default alerts) in words, and the operations
behind them.  :func:`apply_import` runs those operations in one transaction.

Rules:

* A revision older than the one imported is refused.  The same revision again changes nothing
  (unless the ledger has drifted from it, e.g. an allowance was removed by hand, which it restores);
  the same revision with other content is refused.  A newer revision updates in place: the same
  allowance ids, so recorded spend and history stay; its top-ups and instalments are added,
  changed or removed by their key (day and reason; instalment number).
* An allowance the new revision no longer has ends on the new revision's effective day (its
  spend stays recorded); one that had not started yet is removed.
* Dates are days in the allowance's zone (the file's ``timezone``, else the user's): a top-up
  arrives at local midnight of its day and lasts through its ``expires`` day; an instalment vests
  at local midnight of its day.
* Every change is audited with actor ``policy`` and the policy id and revision; the import itself
  is one ``policy.import`` entry.  A policy-created allowance's owned fields cannot be edited by
  hand (:func:`tokenwallet.services.allowances.edit_allowance` refuses with the policy's name).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from tokenwallet.alerts import rules as r
from tokenwallet.alerts import service as alert_service
from tokenwallet.budget.inputs import format_amount
from tokenwallet.budget.periods import local_midnight, zone
from tokenwallet.domain.allowance import Allowance, Grant, GrantKind, RolloverPolicy, Scope
from tokenwallet.domain.errors import UserInputError
from tokenwallet.ledger import alerts as alert_store
from tokenwallet.ledger import allowances, audit, policies
from tokenwallet.ledger.policies import PolicyLink, StoredPolicy
from tokenwallet.policy.diff import Change, diff
from tokenwallet.policy.model import Policy, PolicyAllowance
from tokenwallet.policy.parse import dump_document, from_document, read_policy, to_document
from tokenwallet.policy.vesting import schedule
from tokenwallet.services.allowances import store_allowance
from tokenwallet.services.local_zone import local_zone_name

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.app import AppContext

ACTOR = "policy"
"""The audit actor of every change an import makes."""

CORE_OWNED = ("name", "unit", "amount", "cadence", "anchor_day", "rollover")
"""Fields a policy always owns; ``timezone``, ``starts``, ``ends``, ``providers`` and ``models``
are owned when the file gives them."""
OPTIONAL_OWNED = ("timezone", "starts", "ends", "providers", "models")
DEFAULT_ALERTS_TEXT = "80%, 95% and 100% used; runs out before the reset; 3 days before a grant lapses unspent"


class ImportKind(StrEnum):
    """What an import is, compared with what the ledger has."""

    NEW = "new"  # no revision of this policy was imported
    UPGRADE = "upgrade"  # a newer revision
    SAME = "same"  # the revision imported already


@dataclass(frozen=True, slots=True)
class Step:
    """One thing an import does, in words: ``create allowance 'AI compute': $500.00 monthly ...``."""

    action: str
    subject: str
    detail: str

    def text(self) -> str:
        """The step as one line."""
        return f"{self.action} {self.subject}: {self.detail}"


@dataclass(frozen=True, slots=True)
class _Op:
    """An operation behind a step (applied in order, in one transaction)."""

    kind: str
    allowance: Allowance | None = None
    before: Allowance | None = None
    grant: Grant | None = None
    old_grant: Grant | None = None
    key: str = ""
    link: PolicyLink | None = None
    default_alerts: bool = False


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What importing ``policy`` would do; nothing has been written.

    ``changes`` is the diff from the revision imported before (``previous``), in the policy's words;
    ``steps`` what happens in the ledger.  ``nothing_to_do`` is true for a re-import that matches.
    """

    policy: Policy
    source: str
    kind: ImportKind
    previous: Policy | None
    changes: tuple[Change, ...]
    steps: tuple[Step, ...]
    digest: str
    ops: tuple[_Op, ...] = field(default=(), repr=False)

    @property
    def nothing_to_do(self) -> bool:
        """Whether applying the plan would write nothing."""
        return not self.steps


def _details(policy: Policy) -> dict[str, Any]:
    return {"policy": {"policy_id": policy.policy_id, "revision": policy.revision}}


def _digest(policy: Policy) -> str:
    return hashlib.sha256(dump_document(to_document(policy)).encode()).hexdigest()


def _owned(item: PolicyAllowance) -> tuple[str, ...]:
    return CORE_OWNED + tuple(name for name in OPTIONAL_OWNED if name in item.given)


def _day_start(day: date, zone_name: str) -> datetime:
    return local_midnight(day, zone(zone_name))


def _day_end(day: date, zone_name: str) -> datetime:
    return local_midnight(day + timedelta(days=1), zone(zone_name))


def _grants(item: PolicyAllowance, allowance_id: str, zone_name: str, existing: dict[str, Grant]) -> dict[str, Grant]:
    """The grants the policy wants for one allowance, by key (ids kept where they exist)."""
    wanted: dict[str, Grant] = {}
    for topup in item.topups:
        wanted[topup.key] = Grant(
            id=existing[topup.key].id if topup.key in existing else allowances.new_id(),
            allowance_id=allowance_id,
            kind=GrantKind.TOPUP,
            amount=topup.amount,
            granted_at=_day_start(topup.granted, zone_name),
            expires_at=_day_end(topup.expires, zone_name) if topup.expires else None,
            note=topup.reason or "top-up",
        )
    if item.vesting is not None:
        for part in schedule(item.vesting):
            wanted[part.key] = Grant(
                id=existing[part.key].id if part.key in existing else allowances.new_id(),
                allowance_id=allowance_id,
                kind=GrantKind.TOPUP,
                amount=part.amount,
                granted_at=_day_start(part.day, zone_name),
                note=f"vesting {part.number}/{part.count}",
            )
    return wanted


def _grant_text(grant: Grant, unit_of: Allowance) -> str:
    local = zone(unit_of.timezone)
    day = grant.granted_at.astimezone(local).date().isoformat()
    text = f"{format_amount(grant.amount, unit_of.unit)} on {day}"
    if grant.expires_at is not None:
        last = (grant.expires_at.astimezone(local) - timedelta(seconds=1)).date().isoformat()
        text += f" through {last}"
    return f"{text} ({grant.note})"


def _what(key: str) -> str:
    return "vesting instalment" if key.startswith("vesting:") else "top-up"


def _allowance_text(a: Allowance) -> str:
    start = a.starts_at.astimezone(zone(a.timezone)).date().isoformat()
    ends = ""
    if a.ends_at is not None:
        ends = f" through {(a.ends_at.astimezone(zone(a.timezone)) - timedelta(seconds=1)).date().isoformat()}"
    return f"{format_amount(a.amount, a.unit)} {a.cadence.value} from {start}{ends} ({a.timezone})"


def _field_changes(before: Allowance, after: Allowance) -> list[str]:
    def rollover(x: Allowance) -> str:
        if x.rollover is None:
            return "none"
        cap = "no cap" if x.rollover.cap is None else f"cap {format_amount(x.rollover.cap, x.unit)}"
        return cap + (f", {x.rollover.expires_days} days" if x.rollover.expires_days else "")

    def ends(x: Allowance) -> str:
        return x.ends_at.isoformat() if x.ends_at else "no end"

    pairs = [
        ("unit", before.unit.value, after.unit.value),
        ("amount", format_amount(before.amount, before.unit), format_amount(after.amount, after.unit)),
        ("cadence", before.cadence.value, after.cadence.value),
        ("anchor day", str(before.anchor_day), str(after.anchor_day)),
        ("time zone", before.timezone, after.timezone),
        ("start", before.starts_at.isoformat(), after.starts_at.isoformat()),
        ("end", ends(before), ends(after)),
        ("rollover", rollover(before), rollover(after)),
        ("providers", ", ".join(before.scope.providers) or "any", ", ".join(after.scope.providers) or "any"),
        ("models", ", ".join(before.scope.models) or "any", ", ".join(after.scope.models) or "any"),
    ]
    return [f"{name} {old} -> {new}" for name, old, new in pairs if old != new]


class _Planner:
    def __init__(self, ctx: AppContext, policy: Policy) -> None:
        self.ctx = ctx
        self.db: Database = ctx.ledger()
        self.now = ctx.clock()
        self.policy = policy
        self.steps: list[Step] = []
        self.ops: list[_Op] = []
        self.user_zone = local_zone_name(ctx)

    def step(self, action: str, subject: str, detail: str, op: _Op) -> None:
        self.steps.append(Step(action, subject, detail))
        self.ops.append(op)

    def wanted(self, item: PolicyAllowance, index: int, current: Allowance | None) -> Allowance:
        zone_name = item.timezone or (current.timezone if current else self.user_zone)
        if item.starts is not None:
            starts_at = _day_start(item.starts, zone_name)
        elif current is not None:
            starts_at = current.starts_at
        else:
            starts_at = _day_start(self.policy.effective, zone_name)
        ends_at = _day_end(item.ends, zone_name) if item.ends else None
        if ends_at is not None and ends_at <= starts_at:
            raise UserInputError(
                f"The allowance {item.name!r} would end ({item.ends}) before it starts "
                f"({starts_at.astimezone(zone(zone_name)).date()}); give a later end day in the policy.",
                field=f"allowance[{index}].ends",
            )
        rollover = None
        if item.rollover is not None:
            rollover = RolloverPolicy(cap=item.rollover.cap, expires_days=item.rollover.expires_days)
        return Allowance(
            id=current.id if current else allowances.new_id(),
            name=item.name,
            unit=item.unit,
            amount=item.amount,
            cadence=item.cadence,
            starts_at=starts_at,
            timezone=zone_name,
            anchor_day=item.anchor_day,
            ends_at=ends_at,
            scope=Scope(current.scope.accounts if current else (), item.providers, item.models),
            rollover=rollover,
            backing_account_id=current.backing_account_id if current else None,
            created_at=current.created_at if current else self.now,
        )

    def allowance(self, item: PolicyAllowance, index: int, linked: PolicyLink | None) -> None:
        current = allowances.get(self.db, linked.allowance_id) if linked else None
        if current is None:
            clash = self.db.execute("SELECT id FROM allowances WHERE name = ?", [item.name]).fetchone()
            if clash:
                raise UserInputError(
                    f"An allowance named {item.name!r} already exists and was not created by this policy; "
                    "rename or remove it (its recorded spend stays), then import the policy again.",
                    field=f"allowance[{index}].name",
                )
        target = self.wanted(item, index, current)
        link = PolicyLink(target.id, self.policy.policy_id, self.policy.revision, item.name, _owned(item))
        if current is None:
            self.step(
                "create allowance",
                repr(item.name),
                _allowance_text(target),
                _Op("create", allowance=target, link=link, default_alerts=True),
            )
            self.steps.append(Step("add alerts to", repr(item.name), DEFAULT_ALERTS_TEXT))
        else:
            changed = _field_changes(current, target)
            assert linked is not None
            if changed or linked.retired_revision is not None:
                action = "restore allowance" if linked.retired_revision is not None else "change allowance"
                self.step(
                    action,
                    repr(item.name),
                    "; ".join(changed) or "in the policy again",
                    _Op("update", allowance=target, before=current, link=link),
                )
            else:
                self.ops.append(_Op("link", link=link))  # the newer revision now governs it
        existing = policies.grants_by_key(self.db, target.id) if current else {}
        for key, grant in _grants(item, target.id, target.timezone, existing).items():
            old = existing.pop(key, None)
            if old is None:
                self.step(
                    f"add {_what(key)} to",
                    repr(item.name),
                    _grant_text(grant, target),
                    _Op("add_grant", grant=grant, key=key),
                )
            elif (old.amount, old.granted_at, old.expires_at, old.note) != (
                grant.amount,
                grant.granted_at,
                grant.expires_at,
                grant.note,
            ):
                detail = f"{_grant_text(old, target)} -> {_grant_text(grant, target)}"
                self.step(
                    f"change {_what(key)} of",
                    repr(item.name),
                    detail,
                    _Op("update_grant", grant=grant, old_grant=old, key=key),
                )
        for key, old in existing.items():
            self.step(
                f"remove {_what(key)} of",
                repr(item.name),
                _grant_text(old, target),
                _Op("remove_grant", old_grant=old, key=key),
            )

    def dropped(self, linked: PolicyLink) -> None:
        current = allowances.get(self.db, linked.allowance_id)
        end = _day_start(self.policy.effective, current.timezone)
        retired = replace(linked, retired_revision=self.policy.revision)
        if end <= current.starts_at:
            self.step(
                "remove allowance",
                repr(current.name),
                "no longer in the policy and not started yet",
                _Op("remove", before=current, link=retired),
            )
            return
        if current.ends_at is not None and current.ends_at <= end:
            self.ops.append(_Op("link", link=retired))
            return
        ended = replace(current, ends_at=end)
        self.step(
            "end allowance",
            repr(current.name),
            f"on {self.policy.effective} (no longer in the policy; its recorded spend stays)",
            _Op("update", allowance=ended, before=current, link=retired),
        )

    def off_policy_alert(self) -> None:
        if not self.policy.restrictions.any:
            return
        if any(row.kind == r.RuleKind.OFF_POLICY.value for row in alert_store.list_rules(self.db)):
            return
        self.step(
            "add alert",
            "off-policy spend",
            "when usage this month is outside the policy's providers, models or regions",
            _Op("off_policy_rule"),
        )


def _previous(db: Database, policy_id: str) -> StoredPolicy | None:
    return policies.latest(db, policy_id)


def plan_import(ctx: AppContext, data: bytes, source: str) -> ImportPlan:
    """Validate a policy file and work out what importing it would do; nothing is written.

    Refuses (:class:`~tokenwallet.domain.errors.UserInputError`, field ``revision``) a revision
    older than the one imported, or the same revision with other content.
    """
    policy = read_policy(data, source)
    db = ctx.ledger()
    digest = _digest(policy)
    stored = _previous(db, policy.policy_id)
    previous = from_document(stored.document) if stored else None
    kind = ImportKind.NEW
    if stored is not None:
        if policy.revision < stored.revision:
            raise UserInputError(
                f"{source} is revision {policy.revision} of the policy {policy.policy_id!r}, older than revision "
                f"{stored.revision} imported on {stored.imported_at.date()}; nothing was changed. "
                "Import the current revision instead.",
                field="revision",
            )
        if policy.revision == stored.revision:
            if digest != stored.digest:
                raise UserInputError(
                    f"Revision {policy.revision} of the policy {policy.policy_id!r} was imported before with other "
                    "content; a changed policy needs a higher revision. Nothing was changed.",
                    field="revision",
                )
            kind = ImportKind.SAME
        else:
            kind = ImportKind.UPGRADE
    planner = _Planner(ctx, policy)
    linked = {link.name: link for link in policies.links(db, policy.policy_id)}
    for index, item in enumerate(policy.allowances):
        planner.allowance(item, index, linked.pop(item.name, None))
    for link in linked.values():
        if link.retired_revision is None:
            planner.dropped(link)
    planner.off_policy_alert()
    steps = planner.steps
    if kind is not ImportKind.SAME:
        steps.append(
            Step("record policy", repr(policy.policy_id), f"revision {policy.revision}, effective {policy.effective}")
        )
    return ImportPlan(
        policy=policy,
        source=source,
        kind=kind,
        previous=previous,
        changes=tuple(diff(previous, policy)) if kind is not ImportKind.SAME else (),
        steps=tuple(steps),
        digest=digest,
        ops=tuple(planner.ops),
    )


def apply_import(ctx: AppContext, plan: ImportPlan) -> ImportPlan:
    """Carry out ``plan`` in one transaction (nothing, when it has nothing to do); returns it."""
    if plan.nothing_to_do:
        return plan
    db = ctx.ledger()
    now = ctx.clock()
    details = _details(plan.policy)
    with db.atomic():
        newest = policies.latest(db, plan.policy.policy_id)
        if (newest.revision if newest else None) != (plan.previous.revision if plan.previous else None):
            # another window or process imported a revision after this plan was made
            raise UserInputError(
                f"The policy {plan.policy.policy_id!r} changed in the ledger since this import was previewed "
                f"(now revision {newest.revision if newest else 'none'}); nothing was changed. Preview it again.",
                field="revision",
            )
        for op in plan.ops:
            _apply(db, op, now, details)
        if plan.kind is not ImportKind.SAME:
            stored = StoredPolicy(
                policy_id=plan.policy.policy_id,
                revision=plan.policy.revision,
                employer=plan.policy.employer,
                effective=plan.policy.effective,
                document={},
                digest=plan.digest,
                source=plan.source,
                imported_at=now,
            )
            policies.save_policy(db, stored, dump_document(to_document(plan.policy)))
        audit.append(
            db,
            at=now,
            actor=ACTOR,
            action="policy.import",
            entity="policy",
            entity_id=plan.policy.policy_id,
            details={
                "policy_id": plan.policy.policy_id,
                "revision": plan.policy.revision,
                "previous_revision": plan.previous.revision if plan.previous else None,
                "employer": plan.policy.employer,
                "effective": plan.policy.effective.isoformat(),
                "source": plan.source,
                "digest": plan.digest,
                "steps": [s.text() for s in plan.steps],
            },
        )
    return plan


def _apply(db: Database, op: _Op, now: datetime, details: dict[str, Any]) -> None:
    if op.kind == "create":
        assert op.allowance is not None and op.link is not None
        store_allowance(db, op.allowance, at=now, default_alerts=op.default_alerts, actor=ACTOR, details=details)
        policies.link(db, op.link)
    elif op.kind == "update":
        assert op.allowance is not None and op.link is not None
        allowances.replace(db, op.allowance, at=now, actor=ACTOR, details=details)
        policies.link(db, op.link)
    elif op.kind == "remove":
        assert op.before is not None
        allowances.remove(db, op.before.id, at=now, actor=ACTOR, details=details)
    elif op.kind == "link":
        assert op.link is not None
        policies.link(db, op.link)
    elif op.kind == "add_grant":
        assert op.grant is not None
        policies.add_grant(db, op.grant, op.key, at=now, actor=ACTOR, details=details)
    elif op.kind == "update_grant":
        assert op.grant is not None and op.old_grant is not None
        policies.update_grant(db, op.old_grant, op.grant, at=now, actor=ACTOR, details=details)
    elif op.kind == "remove_grant":
        assert op.old_grant is not None
        policies.remove_grant(db, op.old_grant, at=now, actor=ACTOR, details=details)
    elif op.kind == "off_policy_rule":
        rule = r.Rule(r.new_rule_id(), r.OffPolicyParams())
        alert_service.add_rule(db, rule, now, actor=ACTOR, details=details)
    else:  # pragma: no cover - every kind above is produced by the planner
        raise AssertionError(op.kind)


def read_file(path: str) -> bytes:
    """The bytes of a policy file, or a :class:`UserInputError` saying why it cannot be read."""
    from pathlib import Path

    try:
        with Path(path).open("rb") as handle:
            return handle.read(2_000_000)
    except OSError as exc:
        raise UserInputError(f"The policy file {path} cannot be read: {exc.strerror or exc}.", field="file") from None


def diff_file(ctx: AppContext, data: bytes, source: str) -> ImportPlan:
    """What a policy file changes against the revision imported (the plan of an import, not applied)."""
    return plan_import(ctx, data, source)


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """An imported policy's newest revision, with the allowances it created."""

    policy: Policy
    source: str
    imported_at: datetime
    links: tuple[PolicyLink, ...]


def active_policies(ctx: AppContext) -> list[ActivePolicy]:
    """Every imported policy at its newest revision (usually one), by policy id."""
    db = ctx.ledger()
    return [
        ActivePolicy(from_document(s.document), s.source, s.imported_at, tuple(policies.links(db, s.policy_id)))
        for s in policies.active(db)
    ]


def ownership(ctx: AppContext, allowance: str) -> PolicyLink | None:
    """Which policy created ``allowance`` (name or id) and the fields it owns; None if none did."""
    db = ctx.ledger()
    return policies.link_for(db, allowances.find(db, allowance).id)
