"""The settings pages' changes, run one at a time in the background and reported in plain words.

A page calls :meth:`SettingsChanges.act` (or :meth:`~SettingsChanges.run` with a :class:`Step`)
with what the user asked for (a service call); while it runs the pages' buttons are disabled, so
a double click cannot add an account twice.  The result is said in the dialog's status line, and
a stored change makes the dialog reload its lists.  :meth:`~SettingsChanges.run_all` stores
several pages' unsaved changes one after another (the dialog's "Save" when it is closed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from tokenwallet.domain.errors import TokenwalletError

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.domain.accounts import Account
    from tokenwallet.domain.allowance import Allowance
    from tokenwallet.secrets.store import SecretStore
    from tokenwallet.settings import Settings
    from tokenwallet.ui.runtime.bridge import OperationBridge

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Step:
    """One change to store: what it is in words, the service call, and what to do after it.

    ``then`` gets the call's value on success; ``refused`` gets the error (to point at its field).
    """

    what: str
    op: Callable[[], Any]
    then: Callable[[Any], None] | None = None
    refused: Callable[[TokenwalletError], None] | None = None


class Tone(StrEnum):
    """How the status line shows a message."""

    DONE = "done"
    PROBLEM = "problem"
    PLAIN = "plain"


@dataclass(frozen=True, slots=True)
class SettingsData:
    """What the settings pages show, read in one background operation."""

    store: SecretStore
    keyring_problem: str
    accounts: tuple[Account, ...]
    allowances: tuple[Allowance, ...]
    settings: Settings


def load_settings_data(ctx: AppContext, store: SecretStore | None, keyring_problem: str | None) -> SettingsData:
    """Read the accounts, allowances and settings (on a worker); find a key store first when none is known yet."""
    from tokenwallet.services import accounts, allowances

    if store is None:
        store, keyring_problem = accounts.usable_key_store(ctx)
    elif keyring_problem is None:
        keyring_problem = accounts.keyring_problem(store)
    return SettingsData(
        store=store,
        keyring_problem=keyring_problem,
        accounts=tuple(accounts.list_accounts(ctx, include_disabled=False, include_manual=False)),
        allowances=tuple(allowances.list_allowances(ctx)),
        settings=ctx.settings,
    )


def failure_text(what: str, error: TokenwalletError) -> str:
    """'<what> failed: <message> <what to do>'."""
    remedy = getattr(error, "remedy", "")
    return f"{what} failed: {error} {remedy}".strip()


class SettingsChanges(QObject):
    """Runs the pages' changes through the bridge, one at a time."""

    said = Signal(str, object)
    """Text for the status line and its :class:`Tone`."""
    saved = Signal()
    """A change was stored: the lists are reloaded and the app is told."""
    busy_changed = Signal(bool)
    """True while a change runs (the pages disable their buttons)."""

    def __init__(self, ctx: AppContext, bridge: OperationBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.data: SettingsData | None = None  # set by the dialog once the first read arrived
        self.busy = False

    @property
    def store(self) -> SecretStore:
        """Where keys go (known once the first read arrived; the pages are disabled until then)."""
        assert self.data is not None, "the settings have not been read yet"
        return self.data.store

    def say(self, text: str, *, error: bool = False, tone: Tone | None = None) -> None:
        """Show ``text`` in the dialog's status line (as a problem with ``error``)."""
        self.said.emit(text, tone or (Tone.PROBLEM if error else Tone.DONE))

    def set_busy(self, busy: bool) -> None:
        """Disable (or enable again) the pages' buttons."""
        self.busy = busy
        self.busy_changed.emit(busy)

    def act(self, what: str, op: Callable[[], T], then: Callable[[T], None] | None = None) -> bool:
        """Run ``op`` in the background; say how it went; on success reload and call ``then(value)``.

        Returns False (and runs nothing) while another change is still running.
        """
        return self.run(Step(what, op, then))

    def run(self, step: Step, after: Callable[[bool], None] | None = None) -> bool:
        """Run ``step`` (see :meth:`act`); ``after(stored)`` follows its outcome.  False while another runs."""
        if self.busy:
            return False
        self.set_busy(True)

        def done(value: object) -> None:
            self.set_busy(False)
            self.say(f"{step.what}: done.")
            if step.then is not None:
                step.then(value)
            self.saved.emit()
            if after is not None:
                after(True)

        def failed(error: TokenwalletError) -> None:
            self.set_busy(False)
            self.say(failure_text(step.what, error), error=True)
            if step.refused is not None:
                step.refused(error)
            if after is not None:
                after(False)

        self.bridge.run(step.op, done, failed, receiver=self)
        return True

    def run_all(self, steps: list[Step], finished: Callable[[bool], None]) -> bool:
        """Run ``steps`` one after another, stopping at the first refusal; ``finished(all_stored)`` follows."""
        if self.busy:
            return False
        pending = list(steps)

        def next_step(stored: bool = True) -> None:
            if not stored:
                finished(False)
            elif not pending:
                finished(True)
            else:
                self.run(pending.pop(0), next_step)

        next_step()
        return True
