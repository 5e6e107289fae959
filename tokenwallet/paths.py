"""Where tokenwallet keeps its files: one ``AppPaths`` value, built once and passed down.

Nothing is created at import time.  ``--home DIR`` or ``TOKENWALLET_HOME`` put everything under one
folder (tests, portable use, the demo); otherwise the platform's conventional folders are used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

APP_NAME = "tokenwallet"
APP_ID = "io.github.tokenwallet.TokenWallet"
HOME_ENV = "TOKENWALLET_HOME"


class AppPaths(NamedTuple):
    """The folders tokenwallet uses; ``ensure()`` creates them with private permissions.

    A named tuple: immutable and compared by value like a frozen dataclass, and defined without
    loading ``dataclasses`` (the status line's fallback and the short commands import this first).
    """

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path
    runtime_dir: Path

    @property
    def settings_file(self) -> Path:
        """The human-editable settings file (TOML)."""
        return self.config_dir / "settings.toml"

    @property
    def ledger_file(self) -> Path:
        """The SQLite ledger."""
        return self.data_dir / "ledger.db"

    @property
    def backup_dir(self) -> Path:
        """Copies of the ledger taken before migrations, and corrupt files moved aside."""
        return self.data_dir / "backups"

    @property
    def log_file(self) -> Path:
        """The application log (secrets are scrubbed before anything reaches it)."""
        return self.log_dir / "tokenwallet.log"

    @classmethod
    def under(cls, root: Path | str) -> AppPaths:
        """Everything below one folder (``--home``)."""
        base = Path(root).expanduser().absolute()
        return cls(
            config_dir=base / "config",
            data_dir=base / "data",
            cache_dir=base / "cache",
            log_dir=base / "logs",
            runtime_dir=base / "run",
        )

    @classmethod
    def from_platformdirs(cls) -> AppPaths:
        """The platform's conventional folders (XDG on Linux, AppData on Windows, Library on macOS)."""
        import warnings

        from platformdirs import PlatformDirs

        dirs = PlatformDirs(APP_NAME, appauthor=False)
        with warnings.catch_warnings():
            # Without XDG_RUNTIME_DIR (containers, some SSH sessions) platformdirs warns and falls
            # back to a private folder under /tmp, which serves the single-instance socket fine.
            warnings.simplefilter("ignore")
            runtime_dir = Path(dirs.user_runtime_dir)
        return cls(
            config_dir=Path(dirs.user_config_dir),
            data_dir=Path(dirs.user_data_dir),
            cache_dir=Path(dirs.user_cache_dir),
            log_dir=Path(dirs.user_log_dir),
            runtime_dir=runtime_dir,
        )

    @classmethod
    def resolve(cls, home: Path | str | None = None) -> AppPaths:
        """``home`` if given, else ``$TOKENWALLET_HOME`` if set, else the platform folders."""
        chosen = home if home is not None else os.environ.get(HOME_ENV) or None
        return cls.under(chosen) if chosen else cls.from_platformdirs()

    @property
    def home(self) -> Path | None:
        """The one folder everything is under (``--home`` or ``TOKENWALLET_HOME``), None for the platform folders.

        Programs tokenwallet starts later (at login, from an agent's hook) are given it, so they use
        the same files.
        """
        root = self.config_dir.parent
        return root if AppPaths.under(root) == self else None

    def ensure(self) -> AppPaths:
        """Create the folders, private (:func:`tokenwallet.files.make_private_dirs`), and return ``self``."""
        from tokenwallet.files import make_private_dirs

        for folder in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir, self.runtime_dir):
            make_private_dirs(folder)
        return self
