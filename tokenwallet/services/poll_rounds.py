"""One poll round as the tray app's timer runs it.

The alert rules are not evaluated here: the refresh that follows every round evaluates them when
the ledger changed (:class:`tokenwallet.services.alert_watch.AlertWatch`), as it does after any
other change.

For the demo, the first round seeds the throwaway home (and starts the built-in emulator), and
every round polls only the emulator-backed demo account, never the machine's real agent logs.
Each function runs on a worker thread and returns a frozen :class:`PollResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenwallet.services.polling import PollResult, poll_accounts

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.emulator import RunningEmulator


def poll_round(ctx: AppContext, *, everything: bool) -> PollResult:
    """Poll every account (``everything``) or those due by the schedule."""
    return PollResult(tuple(poll_accounts(ctx, due_only=not everything)))


def demo_round(ctx: AppContext, emulators: list[RunningEmulator], *, seeded: bool) -> PollResult:
    """Seed the demo home unless ``seeded`` (the emulator it starts is added to ``emulators``), then poll it."""
    from tokenwallet.demo.emulator import start_demo_emulator
    from tokenwallet.demo.seed import DEMO_ACCOUNT_ID, is_demo_home, seed_demo

    if not seeded and not is_demo_home(ctx.ledger()):
        emulator = start_demo_emulator()
        store = ctx.use_session_only_keys() if emulator is not None else None
        if emulator is not None:
            emulators.append(emulator)
        seed_demo(ctx.ledger(), ctx.clock(), emulator=emulator, store=store)
    outcomes = poll_accounts(ctx, only=(DEMO_ACCOUNT_ID,)) if emulators else []
    return PollResult(tuple(outcomes))


def demo_step(ctx: AppContext) -> PollResult:
    """Add a little demo spend so the meter moves (a round with no poll outcomes)."""
    from tokenwallet.demo.ticker import tick_demo

    tick_demo(ctx.ledger(), ctx.clock())
    return PollResult(())
