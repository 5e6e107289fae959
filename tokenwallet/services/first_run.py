"""First run: the throwaway demo home, agent-log folders found on this machine, "any data of one's own?".

The tray app asks these on its worker threads at start-up; nothing here imports Qt, and the
module imports only the standard library at load time (it is loaded while the tray starts).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


def demo_context(clock: Callable[[], datetime] | None = None) -> AppContext:
    """An AppContext in a new throwaway folder (removed when the app quits)."""
    from tokenwallet.app import AppContext

    home = tempfile.mkdtemp(prefix="tokenwallet-demo-")
    ctx = AppContext.create(home) if clock is None else AppContext.create(home, clock=clock)
    return ctx


def has_own_data(ctx: AppContext) -> bool:
    """True when the ledger holds an allowance or an account the user added."""
    from tokenwallet.domain.accounts import AccountKind
    from tokenwallet.ledger import accounts, allowances

    db = ctx.ledger()
    if allowances.list_allowances(db):
        return True
    return any(a.kind is not AccountKind.MANUAL for a in accounts.list_accounts(db, include_disabled=False))


def check_first_run(ctx: AppContext, *, env: Mapping[str, str] | None = None, home: Path | None = None) -> bool:
    """Start-up work off the GUI thread: add accounts for agent logs found here, then say if the user has data."""
    env = os.environ if env is None else env
    home = home or Path.home()
    if ctx.settings.import_local_logs:
        from tokenwallet.sources.agent_logs.discovery import detect

        # The importer pulls in the price catalogue (large); load it only when logs exist here.
        if detect(env, home):
            from tokenwallet.sync.log_import.importer import ensure_detected_accounts

            db = ctx.ledger()
            with db.atomic():
                ensure_detected_accounts(db, env=env, home=home, at=ctx.clock())
    return has_own_data(ctx)


def cleanup_demo_home(ctx: AppContext) -> None:
    """Delete a throwaway demo home made by :func:`demo_context` (never any other folder)."""
    home = ctx.paths.config_dir.parent
    if home.name.startswith("tokenwallet-demo-") and Path(tempfile.gettempdir()) in home.parents:
        shutil.rmtree(home, ignore_errors=True)
