"""Alerts after every change of the ledger, and whenever time alone changes what the rules see.

A running tray app asks :meth:`AlertWatch.check` in every refresh of its figures (on a worker
thread: after each poll round, after each change made in its windows, and at least once a
minute).  The rules are evaluated when

* the ledger changed since this thread's connection last evaluated them: a write of this
  connection (SQLite's ``total_changes``) or a commit of any other connection, another process
  included (``PRAGMA data_version``).  So spend recorded with ``tokenwallet usage add`` while the
  app runs is evaluated at the app's next refresh, within a minute;
* or a moment has come at which time alone changes what a rule sees (:func:`next_alert_moment`):
  a period resets (rules re-arm), a grant lapses or comes within an expiry rule's warning days,
  quiet hours end (held alerts go out as one summary), and at the latest an hour after the last
  evaluation (a forecast drifts as the period goes by);
* or the first time (changes made while the app was closed).

Evaluation is :func:`tokenwallet.alerts.service.run_alerts`: each crossing is recorded once, in a
transaction, before it is delivered, so two evaluations of the same change (two threads, or the
app and the command line) never notify twice.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenwallet.alerts.delivery import Notice
    from tokenwallet.alerts.rules import Rule
    from tokenwallet.app import AppContext
    from tokenwallet.domain.allowance import AllowanceStatus
    from tokenwallet.settings import Settings

log = logging.getLogger(__name__)

DESKTOP_NOTIFICATIONS: bool = sys.platform.startswith("linux")
"""Whether alerts reach the desktop over D-Bus from the worker (else the tray shows them)."""
MAX_WAIT = timedelta(hours=1)
"""The longest time between two evaluations while the app runs, changes or not."""


@dataclass(frozen=True, slots=True)
class AlertCheck:
    """What one check did: whether the rules were evaluated, what was recorded, when to look again.

    ``notices`` are for the tray to show where no desktop notification was sent (Windows, macOS);
    on Linux they went out over D-Bus already.
    """

    evaluated: bool
    recorded: int = 0
    notices: tuple[Notice, ...] = ()
    next_check: datetime | None = None


def alert_delivery(
    ctx: AppContext, hide_amounts: Callable[[], bool] | None = None
) -> tuple[Callable[[Notice], None], list[Notice]]:
    """The delivery for alerts of a running app, and the list it fills with notices for the tray.

    On Linux: the log, the desktop notification over D-Bus and the alert hook
    (:func:`tokenwallet.alerts.delivery.default_delivery`); elsewhere the notices are collected for
    the tray icon's own messages.  While ``hide_amounts()`` is true (default: the settings' "hide
    amounts") what reaches the screen shows no amounts.
    """
    from tokenwallet.alerts.delivery import AmountsHidden, default_delivery

    hidden = hide_amounts if hide_amounts is not None else (lambda: ctx.settings.hide_amounts)
    collected: list[Notice] = []
    if DESKTOP_NOTIFICATIONS:
        return default_delivery(ctx.settings.alert_hook or None, hide_amounts=hidden), collected
    return AmountsHidden(collected.append, hidden), collected


def _next_daily(now: datetime, at: str, settings: Settings) -> datetime | None:
    """The next moment after ``now`` the local clock reads ``at`` (HH:MM), or None when unset."""
    if not at:
        return None
    hours, minutes = (int(part) for part in at.split(":"))
    zone = settings.zone()
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), time(hours, minutes), tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hours, minutes), tzinfo=zone)
    return candidate


def next_alert_moment(
    statuses: Sequence[AllowanceStatus],
    rules: Sequence[Rule],
    settings: Settings,
    now: datetime,
    *,
    max_wait: timedelta = MAX_WAIT,
) -> datetime:
    """The next moment at which time alone can change what ``rules`` see, at most ``max_wait`` from ``now``.

    A period's end (its rules re-arm), each grant's expiry and, for each expiry rule, the moment a
    grant comes within its warning days; the end of quiet hours (held alerts are delivered then).
    """
    from tokenwallet.alerts.rules import ExpiryParams

    warn_days: dict[str, list[float]] = {}
    for rule in rules:
        if rule.enabled and rule.allowance_id and isinstance(rule.params, ExpiryParams):
            warn_days.setdefault(rule.allowance_id, []).append(rule.params.days_before)
    moments = [now + max_wait]
    for status in statuses:
        moments.append(status.period_end)
        for expiring in status.expiring:
            moments.append(expiring.at)
            moments += [expiring.at - timedelta(days=d) for d in warn_days.get(status.allowance_id, [])]
    quiet_end = _next_daily(now, settings.quiet_hours_end, settings) if settings.quiet_hours_start else None
    if quiet_end is not None:
        moments.append(quiet_end)
    return min(m for m in moments if m > now)


def _version(db: object) -> tuple[int, int]:
    """(this connection's writes, SQLite's data version): either moves when the ledger changes."""
    conn = db.conn  # type: ignore[attr-defined]
    row = conn.execute("PRAGMA data_version").fetchone()
    return int(conn.total_changes), int(row[0])


class AlertWatch:
    """Evaluates the alert rules of one context when its ledger changed or time says so (thread-safe).

    ``hide_amounts`` says whether notifications must hide amounts (default: the context's setting;
    the tray passes the user's own while it shows demo data).  ``max_wait`` bounds the time between
    two evaluations.
    """

    def __init__(
        self,
        ctx: AppContext,
        *,
        hide_amounts: Callable[[], bool] | None = None,
        max_wait: timedelta = MAX_WAIT,
    ) -> None:
        self.ctx = ctx
        self.hide_amounts = hide_amounts
        self.max_wait = max_wait
        self._local = threading.local()  # per thread: the connection and its version at the last evaluation
        self._lock = threading.Lock()
        self._due: datetime | None = None  # None: evaluate at the next check
        self.evaluations = 0

    @property
    def next_check(self) -> datetime | None:
        """When time alone makes the next evaluation due (None: at the next check)."""
        with self._lock:
            return self._due

    def unchanged(self) -> bool:
        """True when this thread's connection saw no ledger change since it last evaluated, and time
        makes no evaluation due yet: a refresh would read the same figures again (on a worker)."""
        db = self.ctx.ledger()
        return self._quiet(db, _version(db), self.ctx.clock()) is not None

    def _quiet(self, db: object, version: tuple[int, int], now: datetime) -> datetime | None:
        """The moment of the next evaluation when ``db`` is at the ``version`` this thread last
        evaluated and that moment is still ahead of ``now``; None when an evaluation is due."""
        seen = getattr(self._local, "seen", None)
        with self._lock:
            due = self._due
        fresh = seen is not None and seen[0] is db and seen[1] == version
        return due if fresh and due is not None and now < due else None

    def expire(self) -> None:
        """Make the next check evaluate, changed or not (a setting that decides delivery changed)."""
        with self._lock:
            self._due = None

    def check(self) -> AlertCheck:
        """Evaluate the rules when the ledger changed or an evaluation is due; say what happened (on a worker)."""
        from tokenwallet.alerts.rules import from_stored
        from tokenwallet.alerts.service import run_alerts
        from tokenwallet.domain.errors import UserInputError
        from tokenwallet.ledger import alerts as store
        from tokenwallet.services.status import every_allowance

        ctx = self.ctx
        db = ctx.ledger()
        now = ctx.clock()
        version = _version(db)
        due = self._quiet(db, version, now)
        if due is not None:
            return AlertCheck(False, next_check=due)
        deliver, notices = alert_delivery(ctx, self.hide_amounts)
        settings = ctx.settings
        recorded = run_alerts(db, now, settings, deliver)
        # The version read before evaluating: the events just recorded count as one more change,
        # which the next check evaluates once (and finds nothing new).
        self._local.seen = (db, version)
        rules = []
        for row in store.list_rules(db, enabled_only=True):
            try:
                rules.append(from_stored(row))
            except (UserInputError, TypeError, ValueError):  # a rule the evaluation skips too (logged there)
                continue
        done, _ = every_allowance(db, now)
        moment = next_alert_moment([f.status for f in done], rules, settings, now, max_wait=self.max_wait)
        with self._lock:
            self._due = moment
            self.evaluations += 1
        if recorded:
            log.info("alerts: %d recorded (%s)", len(recorded), ", ".join(e.title for e in recorded))
        return AlertCheck(True, len(recorded), tuple(notices), moment)
