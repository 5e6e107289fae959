"""The allowance engine: periods, grants, consumption, burn rate and forecasts.

Pure functions over domain values; no I/O.  The ledger glue in ``tokenwallet.ledger.status``
feeds it rows and is what the rest of the app calls.
"""

from tokenwallet.budget.engine import (
    BURN_WINDOW,
    apply_limit,
    closed_plan,
    closed_status,
    compute_status,
    current_period,
    daily_totals,
    plan,
)
from tokenwallet.budget.periods import period_at, period_key, periods_between

__all__ = [
    "BURN_WINDOW",
    "apply_limit",
    "closed_plan",
    "closed_status",
    "compute_status",
    "current_period",
    "daily_totals",
    "period_at",
    "period_key",
    "periods_between",
    "plan",
]
