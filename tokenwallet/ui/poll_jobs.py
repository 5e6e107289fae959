"""Work the tray app runs on its worker threads: polling accounts and the alert rules after it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


@dataclass(frozen=True, slots=True)
class PollResult:
    """What a poll job hands to the GUI thread: the outcomes and alert notices still to show."""

    outcomes: tuple[Any, ...]
    notices: tuple[Any, ...] = ()


def run_alerts_after_poll(ctx: AppContext) -> tuple[Any, ...]:
    """Evaluate the alert rules after new data (worker thread); returns notices for the tray to show.

    On Linux the notices go out as freedesktop notifications from here; elsewhere the tray shows
    them as balloons on the GUI thread.
    """
    try:
        from tokenwallet.alerts.service import run_alerts
    except ImportError:
        return ()
    notices: list[Any] = []
    deliver: Callable[[Any], None] = notices.append
    if sys.platform.startswith("linux"):
        from tokenwallet.alerts.delivery import default_delivery

        deliver = default_delivery(ctx.settings.alert_hook or None)
    run_alerts(ctx.ledger(), ctx.clock(), ctx.settings, deliver)
    return tuple(notices)


def poll_accounts(ctx: AppContext, *, due_only: bool = False, only: tuple[str, ...] = ()) -> list[object]:
    """Poll accounts through the sync service (runs on a worker thread).

    ``due_only`` polls only those the schedule says are due; ``only`` limits it to those ids.
    """
    from tokenwallet.domain.accounts import AccountKind
    from tokenwallet.ledger import accounts

    ids = list(only) or [
        a.id for a in accounts.list_accounts(ctx.ledger(), include_disabled=False) if a.kind is not AccountKind.MANUAL
    ]
    if not ids:
        return []  # nothing to poll: do not load the HTTP client and connectors at all
    from tokenwallet.sync.service import poll_many

    service = ctx.poll_service()
    if due_only and not only:
        return list(service.poll_due())
    return list(poll_many(service, ids))
