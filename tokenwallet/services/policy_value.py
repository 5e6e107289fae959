"""What a policy's allowances are worth, and the usage outside its restrictions.

:func:`allowance_values` gives, for every allowance an imported policy created: its vested and
unvested value, what it holds now and how much of that could be paid out (``cash_value``) or
would be forfeited, what lapsed unspent this period and what will lapse at the current pace, and
the policy's terms in plain words.  It is what ``policy show`` prints and what a compensation view
draws.  :func:`off_policy_spend` is this month's usage outside each policy's restrictions (or any
range), as ``status``, the monthly report and the ``off_policy`` alert see it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from tokenwallet.budget.periods import zone
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.errors import StoredValueError
from tokenwallet.ledger import allowances, policies
from tokenwallet.ledger.checked_status import checked_status
from tokenwallet.services.local_zone import local_zone_name

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.policy.off_policy import OffPolicySpend


class AllowanceValue(msgspec.Struct, frozen=True):
    """The value of one policy-created allowance now; amounts in its ``unit``.

    ``vested`` + ``unvested`` = ``vesting_total`` (0 without vesting).  ``payable`` + ``forfeitable``
    = ``remaining``: what it holds now either can be paid out (the policy's ``cash_value``) or is
    lost if it is not spent.  ``lapsed`` lapsed unspent in the current period; ``at_risk`` will lapse
    at the upcoming expiries if spending goes on at the current pace.
    """

    allowance_id: str
    name: str
    unit: Unit
    policy_id: str
    revision: int
    vesting_total: int
    vested: int
    unvested: int
    next_vesting: tuple[date, int] | None
    remaining: int
    payable: int
    forfeitable: int
    lapsed: int
    at_risk: int
    transferable: bool
    cash_value: bool
    terms: tuple[str, ...]


def allowance_values(ctx: AppContext, *, at: datetime | None = None) -> list[AllowanceValue]:
    """The value of every allowance the imported policies created (ended ones left out), by name.

    As of ``at`` (now by default).  An allowance whose stored values are out of bounds cannot be
    valued and is left out.
    """
    # The policy model loads with the first stored policy (status and the meter run without one).
    from tokenwallet.policy.parse import from_document
    from tokenwallet.policy.terms import allowance_terms

    db = ctx.ledger()
    now = at or ctx.clock()
    found = []
    for stored in policies.active(db):
        policy = from_document(stored.document, name=f"the stored policy {stored.policy_id!r}")
        for link in policies.links(db, stored.policy_id):
            item = policy.allowance(link.name)
            if item is None or link.retired_revision is not None:
                continue
            allowance = allowances.get(db, link.allowance_id)
            try:
                status = checked_status(db, allowance, now)
            except StoredValueError:
                continue
            instalments = sorted(
                (g for key, g in policies.grants_by_key(db, allowance.id).items() if key.startswith("vesting:")),
                key=lambda g: g.granted_at,
            )
            vested = sum(g.amount for g in instalments if g.granted_at <= now)
            total = item.vesting.total if item.vesting else 0
            upcoming = next((g for g in instalments if g.granted_at > now), None)
            local = zone(allowance.timezone)
            found.append(
                AllowanceValue(
                    allowance_id=allowance.id,
                    name=allowance.name,
                    unit=allowance.unit,
                    policy_id=stored.policy_id,
                    revision=link.revision,
                    vesting_total=total,
                    vested=vested,
                    unvested=max(total - vested, 0),
                    next_vesting=(upcoming.granted_at.astimezone(local).date(), upcoming.amount) if upcoming else None,
                    remaining=status.remaining,
                    payable=status.remaining if item.cash_value else 0,
                    forfeitable=0 if item.cash_value else status.remaining,
                    lapsed=status.expired,
                    at_risk=sum(e.projected_unspent for e in status.expiring),
                    transferable=item.transferable,
                    cash_value=item.cash_value,
                    terms=tuple(allowance_terms(item, allowance.timezone)),
                )
            )
    return sorted(found, key=lambda v: v.name)


def off_policy_spend(
    ctx: AppContext, since: datetime | None = None, until: datetime | None = None
) -> list[OffPolicySpend]:
    """Usage outside each imported policy's restrictions in ``[since, until)``.

    By default: this calendar month in the user's zone, up to now.  Policies without restrictions
    are left out, so an empty list means there is nothing to check against.
    """
    if not policies.active(ctx.ledger()):
        return []  # nothing to check against (and the policy model need not load)
    from tokenwallet.policy.off_policy import month_of

    now = ctx.clock()
    if since is None:
        since = month_of(now, zone(local_zone_name(ctx)))[0]
    if until is None:
        # a bucket stamped exactly now counts, as in the status
        until = now.replace(microsecond=0) + timedelta(seconds=1)
    return policies.off_policy_spend(ctx.ledger(), since, until)
