"""Usage outside a policy's restrictions, summed by provider, model and region.

The ledger sums usage per route (:class:`RouteSpend`); :func:`flag` keeps the routes a policy does
not allow, each with the reasons.  Money is micro-USD from every row that has it; tokens come
from token rows only (``api_usage``, ``local_log``, ``manual``), as in the reports, so cost rows
never count tokens twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tokenwallet.budget.periods import local_midnight
from tokenwallet.policy.model import Restrictions
from tokenwallet.policy.restrictions import breaches


@dataclass(frozen=True, slots=True)
class RouteSpend:
    """Usage of one provider, model and region (``""``: not reported) over a time range."""

    provider: str
    model: str
    region: str
    cost_micros: int
    tokens: int
    rows: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True, slots=True)
class OffPolicyRoute:
    """A route the policy does not allow, with why (``model 'x' is not allowed``, ...)."""

    route: RouteSpend
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OffPolicySpend:
    """Off-policy usage under policy ``policy_id`` (revision ``revision``) in ``[since, until)``."""

    policy_id: str
    revision: int
    since: datetime
    until: datetime
    routes: tuple[OffPolicyRoute, ...]

    @property
    def cost_micros(self) -> int:
        """Money spent off-policy, micro-USD."""
        return sum(r.route.cost_micros for r in self.routes)

    @property
    def tokens(self) -> int:
        """Tokens used off-policy."""
        return sum(r.route.tokens for r in self.routes)

    @property
    def rows(self) -> int:
        """Ledger rows off-policy."""
        return sum(r.route.rows for r in self.routes)


def flag(routes: Iterable[RouteSpend], restrictions: Restrictions) -> tuple[OffPolicyRoute, ...]:
    """The routes ``restrictions`` do not allow, most money first."""
    found = [OffPolicyRoute(r, why) for r in routes if (why := breaches(restrictions, r.provider, r.model, r.region))]
    return tuple(sorted(found, key=lambda o: (-o.route.cost_micros, -o.route.tokens, o.route.provider, o.route.model)))


def month_of(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, str]:
    """The calendar month containing ``now`` in ``tz``: ``[start, end)`` as UTC and ``YYYY-MM``."""
    local = now.astimezone(tz)
    first = date(local.year, local.month, 1)
    following = date(local.year + (local.month == 12), local.month % 12 + 1, 1)
    return local_midnight(first, tz), local_midnight(following, tz), f"{local.year}-{local.month:02d}"
