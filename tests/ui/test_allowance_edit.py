"""Editing an allowance from the settings: prefilled fields, a saved edit, a rejected one, top-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tokenwallet.domain.allowance import Cadence, GrantKind
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.secrets.store import MemorySecretStore

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def settings(allowance_ctx, settings_dialog):  # type: ignore[no-untyped-def]
    return settings_dialog(allowance_ctx, MemorySecretStore(), keyring_problem="")


def _editor(settings):  # type: ignore[no-untyped-def]
    settings.tabs.setCurrentIndex(1)
    settings.allowances.allowance_list.setCurrentRow(0)
    settings.allowances.edit_allowance()
    return settings.allowances.editor


def test_editor_opens_prefilled_from_the_list(settings) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(settings)
    assert editor.name.text() == "Work"
    assert editor.amount.text() == "100"
    assert editor.unit.currentText() == "usd"
    assert editor.cadence.currentText() == "monthly"
    assert not editor.rollover.isChecked()
    assert editor.scope_accounts() == ()
    assert editor.topups.item(0).text() == "No top-ups yet"
    editor.reject()


def test_saved_edit_replaces_the_allowance_and_tells_the_app(settings, allowance_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from tokenwallet.ledger import allowances

    before = allowances.get(allowance_ctx.ledger(), "a1")
    editor = _editor(settings)
    editor.name.setText("Work (raised)")
    editor.amount.setText("250.50")
    editor.rollover.setChecked(True)
    editor.cap.setText("40")
    editor.scope.item(0).setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(settings.changed):
        editor.save()
    assert not editor.isVisible()  # saved and closed
    after = allowances.get(allowance_ctx.ledger(), "a1")
    assert after.name == "Work (raised)"
    assert after.amount == usd_to_micros("250.50")
    assert after.rollover is not None and after.rollover.cap == usd_to_micros(40)
    assert after.scope.accounts == (editor.scope.item(0).data(Qt.ItemDataRole.UserRole),)
    assert (after.id, after.starts_at, after.cadence) == (before.id, before.starts_at, Cadence.MONTHLY)
    assert settings.allowances.allowance_list.item(0).text().startswith("Work (raised): $250.50")
    assert settings.status.text() == "Allowance saved."


def test_bad_edit_says_what_is_wrong_and_changes_nothing(settings, allowance_ctx) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import allowances

    before = allowances.get(allowance_ctx.ledger(), "a1")
    editor = _editor(settings)
    editor.amount.setText("lots")
    editor.save()
    assert editor.status.text().startswith("Not saved: ")
    assert "lots" in editor.status.text()
    assert editor.isVisible()  # the user can correct it
    editor.amount.setText("100")
    editor.cadence.setCurrentText("weekly")
    editor.anchor.setValue(15)
    editor.save()
    assert "weekday" in editor.status.text() and editor.isVisible()
    assert allowances.get(allowance_ctx.ledger(), "a1") == before
    editor.reject()


def test_top_up_with_expiry_from_the_editor(settings, allowance_ctx, now) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QDate

    from tokenwallet.ledger import allowances

    editor = _editor(settings)
    editor.topup_amount.setText("25")
    expiry = (now + timedelta(days=10)).date()
    editor.topup_expires.setDate(QDate(expiry.year, expiry.month, expiry.day))
    editor.add_topup()
    assert editor.status.text() == "Top-up added."
    grants = [g for g in allowances.grants_for(allowance_ctx.ledger(), "a1") if g.kind is GrantKind.TOPUP]
    assert [g.amount for g in grants] == [usd_to_micros(25)]
    assert grants[0].expires_at is not None
    assert editor.topups.item(0).text().startswith(f"+25 usd · expires {expiry.isoformat()}")
    editor.reject()


def test_edit_without_a_selection_asks_for_one(settings) -> None:  # type: ignore[no-untyped-def]
    settings.tabs.setCurrentIndex(1)
    settings.allowances.allowance_list.setCurrentRow(-1)
    settings.allowances.edit_allowance()
    assert settings.status.text() == "Select the allowance to edit first."
