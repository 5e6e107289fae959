"""Composition root: builds the objects the CLI and the tray app share from one ``AppPaths``.

This is the only place that knows the concrete classes; everything below receives what it
needs.  Nothing here runs at import time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tokenwallet import settings as settings_mod
from tokenwallet.domain.clock import Clock, system_clock
from tokenwallet.paths import AppPaths

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.settings import Settings


@dataclass
class AppContext:
    """Paths, settings, clock and per-thread ledger connections of one running tokenwallet."""

    paths: AppPaths
    clock: Clock = system_clock
    _settings: Settings | None = None
    settings_warnings: list[str] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)

    @classmethod
    def create(cls, home: str | None = None, clock: Clock = system_clock) -> AppContext:
        """Resolve the paths (``--home``, ``$TOKENWALLET_HOME`` or platform folders)."""
        return cls(paths=AppPaths.resolve(home), clock=clock)

    @property
    def settings(self) -> Settings:
        """Settings from the settings file, loaded on first use."""
        if self._settings is None:
            loaded, unknown = settings_mod.load(self.paths.settings_file)
            self._settings = loaded
            self.settings_warnings = [
                f"settings file {self.paths.settings_file}: unknown key {key!r} ignored" for key in unknown
            ]
        return self._settings

    def save_settings(self, new: Settings) -> None:
        """Validate, write atomically and keep ``new`` as the current settings."""
        self.paths.ensure()
        settings_mod.save(self.paths.settings_file, new)
        self._settings = new

    def ledger(self) -> Database:
        """This thread's connection to the ledger (SQLite connections belong to one thread)."""
        db = getattr(self._local, "db", None)
        if db is None:
            from tokenwallet.ledger.db import open_ledger

            self.paths.ensure()
            db = open_ledger(self.paths.ledger_file, backup_dir=self.paths.backup_dir)
            self._local.db = db
        return db

    def close(self) -> None:
        """Close this thread's ledger connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
