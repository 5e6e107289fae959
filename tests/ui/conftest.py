"""Fixtures for the tray app tests: a ledger with one allowance and some spend, an inline executor."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tokenwallet.domain.allowance import Allowance, Cadence, Scope, Unit
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.domain.usage import Confidence, Source, UsageRecord


def add_spend(ctx, at: datetime, dollars: str, *, model: str = "gpt-4.1", estimated: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Record spend on the manual account at ``at``."""
    from tokenwallet.ledger import accounts, usage

    db = ctx.ledger()
    account = accounts.ensure_manual(db, at=at)
    record = UsageRecord(
        account_id=account.id,
        source=Source.MANUAL,
        key=f"{model}:{at.isoformat()}:{dollars}",
        bucket_start=at,
        bucket_end=at + timedelta(hours=1),
        provider="openai",
        model=model,
        confidence=Confidence.ESTIMATED if estimated else Confidence.REPORTED,
        input_tokens=1000,
        output_tokens=200,
        requests=3,
        cost_micros=usd_to_micros(dollars),
    )
    with db.atomic():
        usage.upsert(db, [record], recorded_at=at)


@pytest.fixture
def allowance_ctx(app_context, now):  # type: ignore[no-untyped-def]
    """The app context with a $100 monthly allowance and $40 spent this month (of which $5 estimated)."""
    from tokenwallet.ledger import allowances

    db = app_context.ledger()
    start = now.replace(day=1, hour=0)
    allowances.add(
        db,
        Allowance(
            id="a1",
            name="Work",
            unit=Unit.USD,
            amount=usd_to_micros(100),
            cadence=Cadence.MONTHLY,
            starts_at=start,
            scope=Scope(),
        ),
        at=start,
    )
    add_spend(app_context, start + timedelta(days=2, hours=10), "20")
    add_spend(app_context, start + timedelta(days=9, hours=10), "15", model="o4-mini")
    add_spend(app_context, now - timedelta(hours=2), "5", model="claude-sonnet-4", estimated=True)
    return app_context


@pytest.fixture
def bridge(qapp):  # type: ignore[no-untyped-def]
    """An operation bridge that runs every operation at once on the GUI thread."""
    from tokenwallet.ui.runtime.bridge import InlineExecutor, OperationBridge

    running = OperationBridge(InlineExecutor())
    yield running
    running.shutdown()


class Asked:
    """Answers the "unsaved changes" question in tests: records each question, gives :attr:`answer`."""

    def __init__(self) -> None:
        from tokenwallet.ui.settings.discard import Answer

        self.questions: list[list[str]] = []
        self.answer = Answer.DISCARD

    def __call__(self, parent, unsaved):  # type: ignore[no-untyped-def]
        self.questions.append(list(unsaved))
        return self.answer


@pytest.fixture
def asked() -> Asked:
    """What the windows asked before dropping unsaved changes (answered with Discard unless told)."""
    return Asked()


@pytest.fixture
def settings_dialog(bridge, qtbot, asked):  # type: ignore[no-untyped-def]
    """A factory of settings dialogs on the inline bridge (closed after the test)."""
    from tokenwallet.ui.settings.dialog import SettingsDialog

    def make(ctx, store=None, keyring_problem=None):  # type: ignore[no-untyped-def]
        from tokenwallet.secrets.store import MemorySecretStore

        dialog = SettingsDialog(
            ctx, bridge, store=store or MemorySecretStore(), keyring_problem=keyring_problem, ask=asked
        )
        qtbot.addWidget(dialog)
        return dialog

    return make
