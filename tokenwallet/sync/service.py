"""The poll service: secret -> requests -> parse -> one ledger transaction per page -> sync state.

``PollService.poll`` does one account's whole job on the calling thread and returns a frozen
:class:`PollOutcome`; it never raises for a provider, keyring or data problem (those land in the
sync state in plain words).  It has no Qt in it; the tray runs it on a worker thread, the CLI
calls it directly.  Each thread gets its own ledger connection from ``db_factory``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlite_utils import Database

from tokenwallet.domain.accounts import Account, SyncState, key_fingerprint
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.errors import (
    NotFoundError,
    RateLimitedError,
    SecretStoreError,
    SourceError,
    TokenwalletError,
)
from tokenwallet.domain.limits import MAX_DAYS
from tokenwallet.ledger import accounts as accounts_db
from tokenwallet.ledger import snapshots as snapshots_db
from tokenwallet.ledger import sync_state as sync_db
from tokenwallet.ledger import usage as usage_db
from tokenwallet.logging_setup import scrub
from tokenwallet.secrets import SecretStore
from tokenwallet.sources.registry import CONNECTORS
from tokenwallet.sync import schedule

log = logging.getLogger(__name__)

AfterPoll = Callable[[Database, datetime], None]


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll did; safe to pass between threads (no secrets, no connections)."""

    account_id: str
    ok: bool
    records: int = 0
    snapshots: int = 0
    pages: int = 0
    error: str = ""
    error_kind: str = ""
    next_due: datetime | None = None
    skipped: bool = False


@dataclass
class PollService:
    """Polls accounts; thread-agnostic (one ledger connection per calling thread via ``db_factory``)."""

    db_factory: Callable[[], Database]
    secrets: SecretStore
    client: httpx.Client
    clock: Clock
    interval: timedelta = schedule.DEFAULT_INTERVAL
    after_poll: list[AfterPoll] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)

    def poll(self, account_id: str) -> PollOutcome:
        """Poll one account now and record the result; never raises, so one account never stops the others.

        Provider, keyring and data trouble is recorded in the account's sync state; if even that
        fails (the ledger itself is unusable), the outcome still says what went wrong.
        """
        try:
            return self._poll(account_id)
        except Exception as exc:
            log.error("poll of %s could not be recorded", account_id, exc_info=exc)
            if isinstance(exc, TokenwalletError):
                kind, message = "error", str(exc)
            else:
                kind, message = "bug", f"unexpected {type(exc).__name__} while polling; see the log"
            return PollOutcome(account_id, ok=False, error=scrub(message), error_kind=kind)

    def _poll(self, account_id: str) -> PollOutcome:
        db = self.db_factory()
        try:
            account = accounts_db.get(db, account_id)
        except NotFoundError as exc:
            return PollOutcome(account_id, ok=False, error=str(exc), error_kind="not_found")
        state = sync_db.get(db, account_id)
        now = self.clock()
        try:
            if account.kind.is_local_log:
                records, snaps, pages, cursor = self._import_logs(db, account)
            else:
                records, snaps, pages, cursor = self._poll_api(db, account, state)
        except Exception as exc:  # every failure is recorded for the account, none crashes the app
            return self._fail(db, account, state, now, exc)
        interval = self._interval(account)
        next_due = schedule.after_success(self.clock(), interval, self.rng)
        with db.atomic():
            sync_db.put(
                db,
                SyncState(
                    account_id=account_id,
                    cursor=cursor if cursor else dict(state.cursor),
                    last_attempt=now,
                    last_success=self.clock(),
                    next_due=next_due,
                ),
            )
        for hook in self.after_poll:
            try:
                hook(db, self.clock())
            except Exception:  # a broken hook must not undo a good poll
                log.exception("after-poll hook %r failed", hook)
        return PollOutcome(account_id, ok=True, records=records, snapshots=snaps, pages=pages, next_due=next_due)

    def poll_due(self, *, limit: int | None = None) -> list[PollOutcome]:
        """Poll every enabled account that is due (overdue ones once, however long the sleep was)."""
        db = self.db_factory()
        pollable = {a.id for a in accounts_db.list_accounts(db, include_disabled=False) if a.kind.value != "manual"}
        states = [sync_db.get(db, account_id) for account_id in sorted(pollable)]
        return [self.poll(account_id) for account_id in schedule.due(states, self.clock(), limit=limit)]

    # --- internals -----------------------------------------------------------------------
    def _interval(self, account: Account) -> timedelta:
        minutes = account.config.get("poll_interval_minutes")
        requested = self.interval
        if isinstance(minutes, int) and not isinstance(minutes, bool) and minutes > 0:
            requested = timedelta(minutes=min(minutes, MAX_DAYS * 24 * 60))  # at most ten years
        conn = CONNECTORS.get(account.kind.value)
        return schedule.effective_interval(requested, conn.min_interval if conn else timedelta(minutes=1))

    def _poll_api(self, db: Database, account: Account, state: SyncState) -> tuple[int, int, int, dict[str, object]]:
        conn = CONNECTORS.get(account.kind.value)
        if conn is None:
            raise SourceError(f"{account.kind.value} accounts cannot be polled", provider=account.kind.value)
        secret = self.secrets.get(account.id)
        if secret is None:
            raise SecretStoreError(
                f"No key is stored for {account.label} ({account.id}) in the keyring. Edit this account and enter "
                "its key again (adding the account again would count its usage twice)."
            )
        if not account.key_fingerprint:  # added before keys were fingerprinted: keep it now, for duplicate checks
            accounts_db.record_fingerprint(
                db, account.id, key_fingerprint(accounts_db.fingerprint_key(db), secret.reveal())
            )
        base_url = account.base_url or conn.default_base_url
        if not base_url:
            raise SourceError(f"{account.label} has no base URL; edit this account and enter its gateway's address")
        records = snaps = pages = 0
        cursor: dict[str, object] = {}
        # Only an account with filters passes them: every connector takes them, a test double need not.
        narrow = {"filters": account.filters} if account.filters else {}
        fetched = conn.fetch(self.client, base_url, secret, account.id, state.cursor, self.clock, **narrow)
        for page in fetched:
            # One transaction per page: a failure later leaves whole pages, re-read next time.
            with db.atomic():
                for span in page.replaces:  # what the page reports in full replaces what was there
                    usage_db.delete_span(db, account.id, span.source, span.start, span.end, span.kinds)
                records += usage_db.upsert(db, page.records, recorded_at=self.clock())
                snaps += snapshots_db.record(db, page.snapshots)
            pages += 1
            if page.cursor:
                cursor = dict(page.cursor)
        return records, snaps, pages, cursor

    def _import_logs(self, db: Database, account: Account) -> tuple[int, int, int, dict[str, object]]:
        from tokenwallet.sync.log_import.importer import import_account  # loads the price catalog: only when needed

        result = import_account(db, account, clock=self.clock)
        return int(getattr(result, "imported", 0)), 0, 1, {}

    def _fail(self, db: Database, account: Account, state: SyncState, now: datetime, exc: Exception) -> PollOutcome:
        if isinstance(exc, SourceError):
            kind, message = exc.kind, str(exc)
        elif isinstance(exc, SecretStoreError):
            kind, message = "secret", str(exc)
        elif isinstance(exc, TokenwalletError):
            kind, message = "error", str(exc)
        else:
            kind, message = "bug", f"unexpected {type(exc).__name__} while polling; see the log"
            log.error("poll of %s failed unexpectedly", account.id, exc_info=exc)
        message = scrub(message)
        failures = state.failures + 1
        retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
        try:
            next_due = schedule.after_failure(self.clock(), self._interval(account), failures, retry_after, self.rng)
        except (OverflowError, ValueError):  # never skip the record of a failure over its retry time
            log.exception("no retry time for %s; retrying after the longest backoff", account.id)
            next_due = self.clock() + schedule.MAX_BACKOFF
        try:
            with db.atomic():
                sync_db.put(
                    db,
                    SyncState(
                        account_id=account.id,
                        cursor=dict(state.cursor),
                        last_attempt=now,
                        last_success=state.last_success,
                        last_error=message,
                        error_kind=kind,
                        failures=failures,
                        next_due=next_due,
                    ),
                )
        except Exception:  # the ledger itself failed: report it, still without crashing
            log.exception("could not record the failed poll of %s", account.id)
        log.warning("poll of %s failed: %s", account.id, message)
        return PollOutcome(account.id, ok=False, error=message, error_kind=kind, next_due=next_due)


def poll_many(service: PollService, account_ids: Sequence[str]) -> list[PollOutcome]:
    """Poll the given accounts one after another."""
    return [service.poll(a) for a in account_ids]
