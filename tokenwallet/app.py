"""Composition root: builds the objects the CLI and the tray app share from one ``AppPaths``.

This is the only place that knows the concrete classes; everything below receives what it
needs.  Nothing here runs at import time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from tokenwallet.domain.clock import Clock, environment_clock, system_clock
from tokenwallet.paths import AppPaths

if TYPE_CHECKING:
    import httpx
    from sqlite_utils import Database

    from tokenwallet.domain.errors import LedgerError
    from tokenwallet.secrets import SecretStore
    from tokenwallet.settings import Settings
    from tokenwallet.sync.service import AfterPoll, PollService

log = logging.getLogger(__name__)


class AppContext:
    """Paths, settings, clock and per-thread ledger connections of one running tokenwallet.

    A plain class rather than a dataclass: it is created once per run, compared by identity, and
    defining a dataclass costs the short commands' start-up a millisecond.
    """

    def __init__(self, paths: AppPaths, clock: Clock | None = None) -> None:
        self.paths = paths
        self.clock: Clock = clock if clock is not None else _clock_or_system()
        """The one clock: fixed at ``TOKENWALLET_NOW`` when that is set, else the system's."""
        self._settings: Settings | None = None
        self.settings_warnings: list[str] = []
        self._local = threading.local()
        self.session_only_keys = False  # keys kept in memory for this run only (no usable keyring)
        self._secret_store: SecretStore | None = None
        self._http_client: httpx.Client | None = None
        self._poll_service: PollService | None = None
        self.after_poll: list[AfterPoll] = []
        self._lock = threading.Lock()
        self._ledger_generation = 0  # bumped when the file was moved aside: every thread reopens
        self.ledger_listeners: list[Callable[[AppContext], None]] = []
        """Called by :meth:`ledger_changed` when the ledger changed (e.g. to rewrite the meter snapshot)."""

    def __repr__(self) -> str:
        return f"AppContext(paths={self.paths!r})"

    @classmethod
    def create(cls, home: str | None = None, clock: Clock | None = None) -> AppContext:
        """Resolve the paths (``--home``, ``$TOKENWALLET_HOME`` or platform folders) and the clock.

        Without ``clock`` the clock is :func:`~tokenwallet.domain.clock.environment_clock`: fixed at
        ``$TOKENWALLET_NOW`` when set; a bad value is a
        :class:`~tokenwallet.domain.errors.UserInputError`.
        """
        return cls(paths=AppPaths.resolve(home), clock=clock or environment_clock())

    @property
    def settings(self) -> Settings:
        """Settings from the settings file, loaded on first use."""
        if self._settings is None:
            from tokenwallet import settings as settings_mod  # TOML and its checks only when settings are read

            loaded, unknown = settings_mod.load(self.paths.settings_file)
            self._settings = loaded
            self.settings_warnings = [
                f"settings file {self.paths.settings_file}: unknown key {key!r} ignored" for key in unknown
            ]
        return self._settings

    def save_settings(self, new: Settings) -> None:
        """Validate, write atomically and keep ``new`` as the current settings."""
        from tokenwallet import settings as settings_mod

        self.paths.ensure()
        settings_mod.save(self.paths.settings_file, new)
        self._settings = new

    def ledger(self) -> Database:
        """This thread's connection to the ledger (SQLite connections belong to one thread).

        Raises :class:`~tokenwallet.domain.errors.LedgerError` (a subclass says which) when the
        ledger cannot be opened; see :func:`tokenwallet.ledger.db.open_ledger`.
        """
        db = getattr(self._local, "db", None)
        if db is not None and getattr(self._local, "generation", 0) != self._ledger_generation:
            self.close()  # the file this connection has open was moved aside
            db = None
        if db is None:
            from tokenwallet.domain.errors import LedgerError
            from tokenwallet.ledger.db import open_ledger

            try:
                self.paths.ensure()
            except OSError as exc:
                raise LedgerError(
                    f"the folder {exc.filename or self.paths.data_dir} could not be created "
                    f"({exc.strerror or exc}); choose a home folder you can write to."
                ) from exc
            db = open_ledger(self.paths.ledger_file, backup_dir=self.paths.backup_dir)
            self._local.db = db
            self._local.generation = self._ledger_generation
            self._local.seen = _ledger_version(db)
        return db

    def ledger_error(self, exc: BaseException) -> LedgerError | None:
        """The plain-words domain error for ``exc``, met while using this context's ledger.

        For both front-ends: the CLI's error handler calls it, and so should the tray for any
        ``sqlite3`` error a job or dialog meets.  This thread's connection is closed first; when
        the file turns out to be damaged it is moved aside and every other thread's connection is
        replaced on its next :meth:`ledger` call.  None means ``exc`` is not a ledger condition (a
        bug: let it surface).
        """
        import sqlite3

        from tokenwallet.domain.errors import CorruptLedgerError, LedgerError
        from tokenwallet.ledger.db import ledger_error

        if isinstance(exc, LedgerError) or not isinstance(exc, sqlite3.Error):
            return exc if isinstance(exc, LedgerError) else None
        self.close()
        mapped = ledger_error(exc, self.paths.ledger_file, self.paths.backup_dir)
        if isinstance(mapped, CorruptLedgerError):
            with self._lock:
                self._ledger_generation += 1
        return mapped

    def ledger_changed(self) -> bool:
        """Tell the :attr:`ledger_listeners` if the ledger changed since this thread last looked.

        The front-ends call this when a command or a background job has finished.  A change is
        anything this thread's connection wrote (``total_changes``) or another connection
        committed (``PRAGMA data_version``) since the connection opened or the last call.  A
        listener's failure is logged, never raised.  Returns whether the listeners were called.
        """
        db = getattr(self._local, "db", None)
        if db is None or not self.ledger_listeners or getattr(self._local, "notifying", False):
            return False
        try:
            version = _ledger_version(db)
        except Exception:  # a closed or broken connection: nothing to report
            return False
        if version == getattr(self._local, "seen", None):
            return False
        self._local.seen = version
        self._local.notifying = True
        try:
            for listener in list(self.ledger_listeners):
                try:
                    listener(self)
                except Exception:
                    log.exception("ledger listener %r failed", listener)
        finally:
            self._local.notifying = False
        return True

    def close(self) -> None:
        """Close this thread's ledger connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def secret_store(self) -> SecretStore:
        """The OS keyring, or a memory store when ``session_only_keys`` is set (or after
        :meth:`use_session_only_keys`)."""
        with self._lock:
            if self._secret_store is None:
                from tokenwallet.secrets import KeyringSecretStore, MemorySecretStore

                self._secret_store = MemorySecretStore() if self.session_only_keys else KeyringSecretStore()
            return self._secret_store

    def use_session_only_keys(self) -> SecretStore:
        """Switch to keys held in memory for this run (offered when no usable keyring exists)."""
        from tokenwallet.secrets import MemorySecretStore

        with self._lock:
            self.session_only_keys = True
            self._secret_store = MemorySecretStore()
            self._poll_service = None
            return self._secret_store

    def http_client(self) -> httpx.Client:
        """The one shared HTTP client (explicit timeouts, TLS verified); closed by :meth:`shutdown`."""
        with self._lock:
            if self._http_client is None:
                from tokenwallet.sources.http import make_client

                self._http_client = make_client()
            return self._http_client

    def poll_service(self) -> PollService:
        """The poll service over this context's ledger, secrets, client and clock."""
        client = self.http_client()
        store = self.secret_store()
        with self._lock:
            from datetime import timedelta

            from tokenwallet.sync.schedule import DEFAULT_INTERVAL

            minutes = self.settings.poll_interval_minutes
            interval = timedelta(minutes=minutes) if minutes else DEFAULT_INTERVAL
            if self._poll_service is None:
                from tokenwallet.sync.service import PollService

                self._poll_service = PollService(
                    db_factory=self.ledger,
                    secrets=store,
                    client=client,
                    clock=self.clock,
                    interval=interval,
                    after_poll=self.after_poll,
                )
            else:
                self._poll_service.interval = interval  # a changed setting applies from the next poll on
            return self._poll_service

    def shutdown(self) -> None:
        """Close the HTTP client and this thread's ledger connection."""
        with self._lock:
            client, self._http_client = self._http_client, None
            self._poll_service = None
        if client is not None:
            client.close()
        self.close()


def _clock_or_system() -> Clock:
    """``TOKENWALLET_NOW``'s clock for a context made without one (the tray app); a bad value is logged
    and the system clock used, so a mistyped variable never stops the app from starting."""
    from tokenwallet.domain.errors import UserInputError

    try:
        return environment_clock()
    except UserInputError as exc:
        log.warning("%s; using the system clock", exc)
        return system_clock


def _ledger_version(db: Database) -> tuple[int, int]:
    """(this connection's total changes, SQLite's data version): either moves when the ledger changes."""
    row = db.execute("PRAGMA data_version").fetchone()
    return db.conn.total_changes, int(row[0])
